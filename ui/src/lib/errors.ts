// What a failure from the core means, in words a person can act on. The core's own message is
// always shown as well (it names the objection, the manifest, the missing role…); the headline
// here says what happened and, where there is one, what to do.

/** An error as the façade hands it out: a stable code, a class and the core's message. */
export interface AppFailure {
  code: string;
  class: string;
  message: string;
}

const HEADLINES: Record<string, string> = {
  not_owner: 'Only the packet owner can accept an objection as residual disagreement.',
  agent_refused: 'An agent identity cannot do this. Only a person may approve, accept residual disagreement or release.',
  illegal_transition: 'That move is not possible from the objection’s current status.',
  not_allowed: 'You are not allowed to move this objection: only whoever raised it (or, to resolve, the packet owner) can.',
  missing_rationale: 'Accepting residual disagreement needs a rationale.',
  missing_reason: 'Reopening needs a reason.',
  wrong_passphrase: 'That passphrase does not unlock this key.',
  empty_passphrase: 'Type the passphrase.',
  passphrase_unavailable: 'This needs your key, and no passphrase was given.',
  passphrase_cancelled: 'No passphrase was given, so nothing was signed or saved.',
  quote_not_found: 'That wording is not in this revision’s markdown.',
  bad_quote: 'That selection cannot be anchored.',
  no_change: 'Nothing to save: the text is identical to the head revision.',
  no_revision: 'This packet has no revision yet.',
  empty_text: 'Write something first.',
  not_found: 'Not found.',
  ambiguous_id: 'That id is ambiguous.',
  no_policy: 'This workspace has no trust policy yet.',
  unknown_lane: 'That lane is not in the trust policy.',
  blocking_objections_open: 'Drafting is refused while blocking objections are open.',
  not_permitted: 'The trust policy does not allow this.',
  manifest_state: 'The manifest cannot take this action now.',
  held: 'The release is held.',
  reason_required: 'A rejection needs a reason.',
  out_of_range: 'A value is out of range.',
  too_large: 'The content is larger than 16 MiB.',
  not_utf8: 'The file is not UTF-8 text.',
  thread_state: 'The comment thread is already in that state.',
  busy: 'The workspace is busy (another process is writing). Try again in a moment.',
  corrupt: 'The workspace file looks damaged. Run the integrity check.',
  ipc: 'The app could not reach its core.',
  bad_target: 'That is not a target sync can use.',
  target_offline: 'The target cannot be reached now.',
  transfer_failed: 'A transfer to or from the target failed.',
  foreign_target: 'The target holds something else.',
  no_credentials: 'No S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the app.',
  sync_running: 'A sync pass is already running; wait for it to end.',
  diverged: 'This packet has diverged: its owner merges its heads on the Sync screen first.',
  not_diverged: 'This packet has one head: there is nothing to merge.',
  key_elsewhere: 'This identity’s key is on another replica: act as it there.',
};

/** A headline for a failure code, or null when the core's message says it best. */
export function headline(code: string): string | null {
  return HEADLINES[code] ?? null;
}

/** Whether a failure is a refusal by a rule (as opposed to bad input or a fault). */
export function isRefusal(e: AppFailure): boolean {
  return e.class === 'refused';
}

/**
 * The core's message with anything that only makes sense on the command line taken out
 * (`(--reason)`, "set COUNTERSIGN_PASSPHRASE or run in a terminal").
 */
export function cleanMessage(message: string): string {
  return message
    .replace(/; set COUNTERSIGN_PASSPHRASE or run in a terminal/g, '')
    .replace(/\s*\(--[a-z-]+\)/g, '')
    .replace(/\n?draft a new manifest with `countersign manifest draft`/g, '\nDraft a new manifest.')
    .trim();
}

/** One readable string for a failure (for places without room for headline and detail). */
export function describe(e: AppFailure): string {
  const h = headline(e.code);
  const m = cleanMessage(e.message);
  if (!h) return m;
  if (!m || m === h) return h;
  return `${h} ${m}`;
}
