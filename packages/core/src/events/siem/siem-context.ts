// What a SIEM record says about the host that emitted it, beyond the event itself.

export interface SiemContext {
  /** Host running metald: the reporting device a SIEM shows (CEF dvchost, ECS observer.hostname). */
  hostname: string;
  /** Running metald build (ECS observer.version); CEF and LEEF headers carry the fixed spec version. */
  productVersion: string;
}
