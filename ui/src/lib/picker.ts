// The native folder picker (Tauri's dialog plugin; the capability grants `dialog:allow-open` and
// nothing else of it). Loaded on first use, so the start-up bundle does not carry it.

/** Ask the user for a folder; its absolute path, or null when they cancelled. */
export async function pickFolder(title: string): Promise<string | null> {
  const { open } = await import('@tauri-apps/plugin-dialog');
  const picked = await open({ directory: true, multiple: false, title });
  return typeof picked === 'string' ? picked : null;
}
