// Names that are not (yet) inputs: hidden files and the names downloaders and editors give a file while it is
// still being written (`photo.jpg.part`, `photo.jpg.crdownload`, `photo.tmp`). They become inputs when renamed.

const IN_PROGRESS = /\.(part|tmp|crdownload)$/i;

/** Whether a file's base name (no folders) is one no rule ever takes. */
export function isInProgressName(name: string): boolean {
  return name.startsWith('.') || IN_PROGRESS.test(name);
}
