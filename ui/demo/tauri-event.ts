// Browser-preview stand-in for @tauri-apps/api/event: no events arrive in the preview.
export type UnlistenFn = () => void;
export type EventCallback<T> = (event: { event: string; id: number; payload: T }) => void;
export async function listen<T>(_event: string, _cb: EventCallback<T>): Promise<UnlistenFn> {
  return () => {};
}
export async function once<T>(_event: string, _cb: EventCallback<T>): Promise<UnlistenFn> {
  return () => {};
}
export async function emit(_event: string, _payload?: unknown): Promise<void> {}
export async function emitTo(_target: unknown, _event: string, _payload?: unknown): Promise<void> {}
