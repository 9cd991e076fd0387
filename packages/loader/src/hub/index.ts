export * from './errors.js';
export { DEFAULT_REVISION, isCommitHash, isHubId, parseHubId, type HubModelId } from './spec.js';
export { DEFAULT_ENDPOINT, hubSettings, type HubSettings, type HubSettingsOptions } from './settings.js';
export { repoFolderName } from './cache.js';
export type { ChecksumKind } from './checksum.js';
export { CHECKPOINT_FILES, type HubDownloadOptions, type HubFile, type HubProgress, type HubSnapshot } from './types.js';
export { downloadModel } from './download.js';
export { resolveModel } from './resolve.js';
