/** What happened in an execution; the GraphQL `ExecutionEventType`. */
export enum ExecutionEventType {
  NODE_STARTED = "NODE_STARTED",
  NODE_OUTPUT = "NODE_OUTPUT",
  NODE_FINISHED = "NODE_FINISHED",
  EXECUTION_FINISHED = "EXECUTION_FINISHED",
}

/** One event as stored in the execution's log (its `seq` is the log entry's). */
export interface ExecutionEventData {
  type: ExecutionEventType;
  executionId: string;
  nodeId?: string;
  nodeType?: string;
  /** A `NodeRunStatus` for node events, an `ExecutionStatus` for EXECUTION_FINISHED. */
  status?: string;
  output?: unknown;
  error?: string | null;
}

/** An event with its sequence number, as subscribers receive it. */
export interface ExecutionEventPayload extends ExecutionEventData {
  seq: number;
}

/** The pub/sub log that holds an execution's events. */
export const executionStream = (executionId: string) => `execution:${executionId}`;

/** The channel on which any replica asks the one running an execution to stop it. */
export const CANCEL_CHANNEL = "workflow:cancel";
