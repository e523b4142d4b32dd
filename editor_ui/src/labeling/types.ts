/**
 * Shapes of the labeling API's answers (stores/labeling/service.py through
 * engine/server/schemas/labeling.py): names for the generated types in `../api/schema`.
 */
import type { components } from "../api/schema";

type Schemas = components["schemas"];

export type LabelingTask = Schemas["TaskResponse"];
export type WeakSupervisionSettings = Schemas["WeakSupervisionSettingsResponse"];
/** A project as listed; `GET /projects/{name}` adds its tasks, record count and lookup lists. */
export type LabelingProject = Schemas["ProjectResponse"] &
  Partial<Pick<Schemas["ProjectDetailResponse"], "tasks" | "records" | "lookup_lists">>;
export type LabelingProjectDetail = Schemas["ProjectDetailResponse"];
export type ProjectStatus = Schemas["ProjectStatusResponse"];
export type SyncResult = Schemas["SyncResponse"];
export type ProjectRecord = Schemas["ProjectRecordResponse"];
export type ManualLabel = Schemas["ManualLabelResponse"];

export type Filter = Schemas["SuggestionPageResponse"]["filter"];
export type Vote = Schemas["Vote"];
export type WeakResult = Schemas["WeakLabel"];
export type SuggestedRecord = Schemas["SuggestedRecord"];
export type SuggestionPage = Schemas["SuggestionPageResponse"];

export type HeuristicKind = Schemas["HeuristicResponse"]["kind"];
export type Heuristic = Schemas["HeuristicResponse"];
export type LookupList = Schemas["LookupListResponse"];
export type HeuristicStats = Schemas["HeuristicStatistics"];
export type StatisticsReport = Schemas["StatisticsResponse"];
export type PreviewRow = Schemas["PreviewRow"];
export type PreviewResult = Schemas["PreviewResponse"];
export type TrainingJob = Schemas["TrainingJobResponse"];
export type WeakSupervisionReport = Schemas["WeakSupervisionResponse"];
