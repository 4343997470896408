// The API's TLS credentials: the certificate chain and key read from PEM files at start, with
// the minimum protocol version, checked before the server listens so that a bad file stops the
// start with its path instead of failing the first handshake.
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";

export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
  minVersion: "TLSv1.2" | "TLSv1.3";
}

export interface TlsFiles {
  certPath: string;
  keyPath: string;
  /** The guide's min_tls_version: "1.2" or "1.3". */
  minVersion: "1.2" | "1.3";
}

function readPem(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot read the TLS ${what} ${path}: ${code}`);
  }
}

export function loadTlsCredentials(files: TlsFiles): TlsCredentials {
  const credentials: TlsCredentials = {
    cert: readPem("certificate", files.certPath),
    key: readPem("key", files.keyPath),
    minVersion: files.minVersion === "1.3" ? "TLSv1.3" : "TLSv1.2",
  };
  try {
    // Parses both and checks that the key belongs to the certificate.
    createSecureContext(credentials);
  } catch (error) {
    throw new Error(
      `TLS certificate ${files.certPath} and key ${files.keyPath} are not usable: ${(error as Error).message}`,
    );
  }
  return credentials;
}
