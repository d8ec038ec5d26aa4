// imgbuild's public API: what pipeline.config.ts and user rules import from 'imgbuild'.
export { defineRule, optionalInput, RuleError } from './graph/rule.js';
export type {
  BuiltFile,
  CheckContext,
  FileSource,
  InputSpec,
  Json,
  NodeIdentity,
  Params,
  Rule,
  RuleDefinition,
  RunContext,
  UpstreamView,
  PublishedOutput,
} from './graph/rule.js';
export type { ParamType, ParamTypes } from './graph/param-types.js';
export { defineConfig, ConfigError } from './config/pipeline-config.js';
export type { PipelineConfig } from './config/pipeline-config.js';
export type { Settings } from './config/settings.js';
export { build } from './run/build.js';
export { PipelineError } from './run/pipeline-error.js';
export type { RunRecord, RunState, RunStep } from './runs/run-record.js';
export type { BuildRequest, BuildResult } from './run/build.js';
export type { BuildEvent, BuildSummary, PlannedRun } from './run/events.js';
export type { Repository } from './repo/repository.js';
export { LocalRepository } from './repo/local-repository.js';
export { writeItemList, readItemList } from './graph/item-list.js';
export type { ItemList, ListedItem, RefusedItem } from './graph/item-list.js';
export { wwtFeedRules, feed, fetchImage, feedPlace, feedIndex } from '../rules/index.js';
export { wwtStudyRules, archiveRules, place, fitsPicture, tiles, thumbnail, wtml, reviewIndex, publish, rootIndex, preview, colourPreview, exposure, archivePublish, catalog, IMAGE_FILES, ARCHIVE_PATTERNS, FITS_FILES, datasetRules, fitsPreviewOf, datasetFolder, PROCESSED_MARKERS } from '../rules/index.js';
export type { DatasetRulesOptions, PreviewOf } from '../rules/index.js';
export { PREVIEW_SCALINGS, type PreviewScaling } from './fits/preview-scaling.js';
