// Downlink: what the back office sends kiosks (config bundles, hotlist deltas). No kiosk imports.
export { canonicalDocumentJson } from './canonical';
export { checkContents, FEE_SERVICE_KINDS, OFFLINE_LIMIT_FIELDS, type BundleContents, type CheckedContents, type FeeRules, type OfflineLimits } from './contents';
export {
  backOfficePublicKey,
  BUNDLE_FORMAT,
  CARD_REF,
  DownlinkError,
  HOTLIST_FORMAT,
  signBundle,
  signHotlistDelta,
  verifyBundle,
  verifyHotlistDelta,
  type ConfigBundle,
  type DownlinkErrorCode,
  type HotlistDelta,
  type Unsigned,
} from './format';
export { fetchDownlink, startDownlinkPolling, type ApplyOutcome, type DownlinkReport, type DownlinkStep, type DownlinkTarget, type FetchDownlinkOptions } from './client';
