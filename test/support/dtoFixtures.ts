// The webview fixture DTOs (test/fixtures/dto/<name>.json) by name: the one map of file name -> type,
// used by the browser test's fake host and the unit tests. test/unit/dtoFixtures.test.ts holds every
// file to the shape of the real query output.
import type {
  AcceptanceDto,
  ApiErrorsDto,
  BurnRateDto,
  CostSeriesDto,
  FilesEditedDto,
  SessionTimelineDto,
  SessionsDto,
  StatusSnapshotDto,
  SummaryDto,
  ToolStatsDto,
} from '../../src/protocol/dto';

export interface Fixtures {
  summary: SummaryDto;
  summaryToday: SummaryDto;
  costSeries: CostSeriesDto;
  sessions: SessionsDto;
  burnRate: BurnRateDto;
  spend: { today: number; last7d: number; last30d: number; month: number };
  acceptance: AcceptanceDto;
  filesEdited: FilesEditedDto;
  toolStats: ToolStatsDto;
  apiErrors: ApiErrorsDto;
  status: StatusSnapshotDto;
  sessionTimelines: Record<string, SessionTimelineDto>;
}
