import type { ConnectionState } from 'agentwire-client';

const LABELS: Readonly<Record<ConnectionState['status'], string>> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

/**
 * Shows the client's connection state (`data-state` on the element): a coloured dot,
 * a word, and why it is not connected when it is not.
 */
export function renderConnectionState(target: HTMLElement, state: ConnectionState): void {
  target.dataset.state = state.status;
  const label = target.querySelector<HTMLElement>('.connection-label');
  const detail = target.querySelector<HTMLElement>('.connection-detail');
  if (label) label.textContent = LABELS[state.status];
  if (detail) {
    const parts: string[] = [];
    if (state.status === 'reconnecting' || state.status === 'closed') {
      if (state.reason) parts.push(state.reason.replaceAll('_', ' '));
      if (state.attempt > 0) parts.push(`attempt ${state.attempt}`);
    }
    detail.textContent = parts.join(' · ');
    detail.hidden = parts.length === 0;
  }
  // The whole state in words, also where a narrow screen shows only the dot.
  target.title = [LABELS[state.status], detail?.textContent].filter(Boolean).join(' · ');
}
