/** Shapes of the labeling API's answers (see stores/labeling/service.py). */

export interface LabelingTask {
  name: string;
  labels: string[];
  text_fields: string[];
}

export interface LabelingProject {
  name: string;
  store: string;
  embedding_model: string;
  synced_seq: number;
  weak_supervision: WeakSupervisionSettings;
  created_at: string;
  tasks?: LabelingTask[];
  records?: number;
  lookup_lists?: string[];
}

export interface WeakSupervisionSettings {
  c: number;
  k: number;
  default_precision: number;
}

export interface ProjectStatus {
  project: string;
  store: string;
  synced_seq: number;
  records: number;
  tasks: { task: string; labeled: number; unlabeled: number; embedded: number }[];
}

export type Filter = "suggested" | "unlabeled" | "low_confidence" | "disagreement" | "all";

export interface Vote {
  label: string;
  confidence: number;
}

export interface WeakResult {
  prediction: string | null;
  confidence: number | null;
}

export interface SuggestedRecord {
  id: string;
  data: Record<string, unknown>;
  label: string | null;
  labeled_by: string | null;
  votes: Record<string, Vote>;
  weak: WeakResult;
  reason: string;
}

export interface SuggestionPage {
  filter: Filter;
  total: number;
  records: SuggestedRecord[];
}

export type HeuristicKind = "labeling_function" | "lookup_list" | "active_learner";

export interface Heuristic {
  task: string;
  name: string;
  kind: HeuristicKind;
  config: Record<string, unknown>;
}

export interface LookupList {
  name: string;
  terms: string[];
}

export interface HeuristicStats {
  name: string;
  kind: HeuristicKind;
  coverage: number;
  coverage_share: number;
  overlaps: number;
  conflicts: number;
  true_positives: number;
  false_positives: number;
  precision: number | null;
}

export interface StatisticsReport {
  records: number;
  manual_labels: number;
  heuristics: HeuristicStats[];
}

export interface PreviewRow {
  id: string;
  text: string;
  vote: string | null;
  manual: string | null;
  correct: boolean | null;
}

export interface PreviewResult {
  sample_size: number;
  hits: number;
  graded: number;
  correct: number;
  records: PreviewRow[];
}

export interface TrainingJob {
  id: string;
  project: string;
  task: string;
  heuristic: string;
  state: "running" | "completed" | "failed";
  phase: string;
  done: number;
  total: number;
  error: string | null;
  result: { embeddings: { total: number; cached: number; computed: number }; manual_labels: number; statistics: HeuristicStats } | null;
}

export interface WeakSupervisionReport {
  distribution: Record<string, number>;
  settings: WeakSupervisionSettings;
  agreement: { manual_labels: number; compared: number; agreed: number; rate: number | null };
  results: Record<string, { prediction: string | null; confidence: number | null; votes: Record<string, string> }>;
}
