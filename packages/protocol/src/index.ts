/** The event catalog: one discriminated union, and the types derived from it. */
export {
  AgentEventSchema,
  UsageSchema,
  EventErrorSchema,
  INPUT_KINDS,
  INPUT_OUTCOMES,
  ApprovalValueSchema,
  dataSchemaOf,
  JsonPatchOperationSchema,
} from './catalog.js';
export { EVENT_TYPES, TERMINAL_EVENT_TYPES, isCritical, isEventType, isTerminalType, isTerminalEvent } from './event-types.js';
export type { TerminalEventType } from './event-types.js';
export type {
  AgentEvent,
  EventType,
  EventOf,
  EventData,
  Usage,
  EventError,
  JsonPatchOperation,
  InputKind,
  InputOutcome,
  ApprovalValue,
} from './catalog.js';

/** Run snapshots and the reducer shared by server and client. */
export { RunSnapshotSchema, PendingInputSchema } from './run-snapshot.js';
export { ACTIVE_RUN_STATUSES, reduceRunSnapshot, changesSnapshot, isActiveStatus, pendingInputOf, EMPTY_USAGE } from './run-snapshot-reducer.js';
export type { RunSnapshot, RunStatus, PendingInput } from './run-snapshot.js';

/** RFC 6902 JSON Patch, as `state_delta` carries it: the operations and a small applier. */
export { JsonPatchError, applyJsonPatch } from './json-patch.js';

/** Frames of the wire protocol and their encoding. */
export { PositionSchema, RunRequestSchema, RespondRequestSchema, ClientFrameSchema, ServerFrameSchema, decodeClientFrame, parseAgentEvent } from './frames.js';
/** The wire as a client speaks it, without zod: frames validated against JSON Schemas derived from the ones above. */
export {
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  WS_PATH,
  encodeClientFrame,
  encodeServerFrame,
  encodeEventFrame,
  joinFrames,
  decodeServerMessage,
  clientFrameProblem,
} from './wire.js';
export { MAX_INPUT_DEPTH, depthProblem } from './wire-validator.js';
export type {
  Position,
  RunRequest,
  RespondRequest,
  ClientFrame,
  ClientOp,
  ClientFrameOf,
  ServerFrame,
  ServerOp,
  ServerFrameOf,
  DecodeResult,
} from './frames.js';

/** The one rule for ids (users, threads, runs, agents), and the one formatter of validation errors. */
export { IdSchema } from './ids.js';
export { MAX_ID_LENGTH, idProblem, isValidId } from './id-rule.js';
export { describeValidationError } from './validation-errors.js';
export type { ValidationIssue } from './validation-errors.js';

/** Error codes and close codes. */
export { ERRORS, ERROR_CODES, CLOSE_CODES, RESET_REASONS, isErrorCode } from './errors.js';
export type { ErrorCode, ErrorSpec, ResetReason } from './errors.js';

/** How durations read for people, on the web page and in the CLI alike. */
export { formatDuration } from './format.js';

/** The admin API's answers (`/v1/admin/…`), shared by the gateway and the pages and tools that read them. */
export type { DeliveryReport, ModelUsage, OpsStats, RunTimeline, ToolCallSpan, UserDelivery } from './admin-api.js';

/** AG-UI compatibility: one translation of a run's events into AG-UI events (docs/ag-ui-mapping.md). */
export { AgUiTranslator, toAgUiUsage } from './ag-ui-translator.js';
export { AgUiMessages } from './ag-ui-messages.js';
export { RunFamily } from './run-family.js';
export type { AgUiTranslatorOptions } from './ag-ui-translator.js';
export { agUiInterruptOf, responseSchemaOf } from './ag-ui-interrupts.js';
export { AG_UI_CUSTOM_NAMES, AG_UI_PROTOCOL_VERSION } from './ag-ui-events.js';
export type { AgUiEvent, AgUiEventType, AgUiInterrupt, AgUiMessage, AgUiTokenUsage } from './ag-ui-events.js';

/** AI SDK compatibility: one translation of a run's events into the AI SDK's UI message stream (docs/ai-sdk-mapping.md). */
export { AiSdkTranslator } from './ai-sdk-translator.js';
export { AI_SDK_APPROVAL_TOOL, AI_SDK_DATA_IDS, AI_SDK_STREAM_HEADER, AiSdkApprovalResponsePartSchema, AiSdkChatRequestSchema } from './ai-sdk-parts.js';
export type { AiSdkMessageMetadata, AiSdkUiPart, AiSdkUiPartType } from './ai-sdk-parts.js';
