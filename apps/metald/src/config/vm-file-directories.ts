// The directories a VM's kernel, initrd and disks may come from: the environment's
// (METALD_IMAGE_DIRS, METALD_VOLUME_DIRS) over the host configuration's `vm_files`, over the
// defaults (the guides' /opt/vm-assets for images, a directory per tenant for volumes).
import { DEFAULT_VM_FILE_DIRECTORIES, type VmFileDirectories } from "@metald/core";
import type { HostConfig } from "./host-config-schema.js";

export interface VmFileDirectoryEnv {
  METALD_IMAGE_DIRS?: string[];
  METALD_VOLUME_DIRS?: string[];
}

export function vmFileDirectories(
  config: HostConfig | undefined,
  env: VmFileDirectoryEnv,
): VmFileDirectories {
  const file = config?.metald.vm_files;
  const imageDirs = env.METALD_IMAGE_DIRS ?? file?.image_dirs;
  const volumeDirs = env.METALD_VOLUME_DIRS ?? file?.volume_dirs;
  return {
    imageDirs: imageDirs ?? DEFAULT_VM_FILE_DIRECTORIES.imageDirs,
    volumeDirs: volumeDirs ?? DEFAULT_VM_FILE_DIRECTORIES.volumeDirs,
    configured: imageDirs !== undefined || volumeDirs !== undefined,
  };
}
