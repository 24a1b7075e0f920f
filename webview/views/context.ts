// What every view receives from main.ts: the shared range, saved state, theme palette and lifetimes.
import type { RangeKey } from '../../src/protocol/dto';
import type { DashboardState } from '../../src/protocol/messages';
import type { Palette } from '../theme';

export interface ViewContext {
  readonly range: RangeKey;
  readonly state: DashboardState;
  /** Persists `state` (vscode.setState) after a view changed it. */
  save(): void;
  /** Re-renders the current view (after a sort or filter change). */
  rerender(): void;
  palette(): Palette;
  /** Runs once the view's DOM is in the document (Chart.js measures its box, so charts draw here). */
  onMount(fn: () => void): void;
  /** Runs when the view is replaced (charts are destroyed here). */
  onDispose(fn: () => void): void;
  /** false once a newer render started: results of an older fetch are dropped, never drawn. */
  isCurrent(): boolean;
}
