/** Who an event belongs to. */
export { createUserContext, assertValidId, runKey } from './user-context.js';
export type { UserContext, UserContextInput } from './user-context.js';

/** The single emitter and its run contract. */
export { RunEmitter, RUN_ENDED, END_RETRY, errorOf } from './run-emitter.js';
export type { RunEmitterOptions, ContractRule } from './run-emitter.js';
export { buildEvent } from './event-builder.js';
export type { EventEnvelope } from './event-builder.js';

/** Human input: asking the user and checking the answers (docs/protocol.md §10). */
export { ToolDenied } from './input-request.js';
export type { InputRequest, InputResolution, InputResolutionOf, ToolOptions } from './input-request.js';
export { assertValidAnswer } from './input-validation.js';
export type { AnswerOfKind } from './input-validation.js';

/** Errors of producers. */
export { AgentwireError, isAgentwireError } from './errors.js';
export type { AgentwireErrorCode } from './errors.js';

/** Token usage and cost. */
export { UsageMeter, DEFAULT_PRICES, estimateTokens } from './usage-meter.js';
export type { ModelPrice, PriceTable, UsageDelta } from './usage-meter.js';

/** Redaction and truncation applied by the emitter. */
export { redactSecrets, isSecretKey, REDACTED } from './redaction.js';
export { truncateData } from './truncation.js';

/** The event log: the interface and the in-memory implementation. */
export { MemoryEventLog, MEMORY_LOG_DEFAULTS } from './memory-event-log.js';
export type { MemoryEventLogOptions } from './memory-event-log.js';
export type { EventLog, LogEntry, LogSubscriber, AppendResult, ReadResult, StreamHead, LogOperation, LogErrorListener, LogAvailability, LogAvailabilityListener } from './event-log.js';
export { JsonLogEntry, parseLogEntry } from './event-log.js';

/** Agents, the runner and the hub. */
export { defineAgent, inputText } from './agent.js';
export type { AgentDefinition, AgentRunContext, AgentResult, FrontendInput, FrontendMessage, FrontendTool, RunInput } from './agent.js';
export { Hub, createHub } from './hub.js';
export { HUB_DEFAULTS } from './defaults.js';
export type { HubOptions, HubObserver, RunControl, StartRunRequest } from './hub.js';
export { demoAgent, DEMO_MODEL, DEMO_AGENT_DEFAULTS } from './demo-agent.js';
export type { DemoAgentOptions } from './demo-agent.js';

/** Incremental migration: legacy event objects mapped onto RunEmitter calls. */
export { createLegacyBridge, DEFAULT_LEGACY_ALIASES } from './bridges/legacy.js';
export type { LegacyBridge, LegacyBridgeOptions, LegacyPattern } from './bridges/legacy.js';

/** Time. */
export { systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { ulid, newId, settlingEventId } from './ids.js';

/** Bridges from agent frameworks: they feed a RunEmitter, never write events of their own. */
export { feedAiSdkStream, TOOL_NOT_EXECUTED } from './bridges/ai-sdk.js';
export type { AiSdkBridgeOptions, AiSdkStreamPart, AiSdkStreamResult, AiSdkUsage } from './bridges/ai-sdk.js';
export { llmAgent, usageFromOpenAi, LLM_AGENT_DEFAULTS } from './bridges/llm-agent.js';
export type { LlmAgentOptions, LlmTool } from './bridges/llm-agent.js';
export type { OpenAiUsage } from './bridges/openai-stream.js';
