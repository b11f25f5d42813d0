import type { TaskAttemptInfo, TaskCarrier, TaskContextHooks } from '@faultline/server'
import {
  type Attributes,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Link,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
} from '@opentelemetry/api'
import { type OpenTelemetryOptions, SCOPE_NAME } from './options'

/**
 * Background tasks in spans of their own, linked to the request that queued them: the request's
 * context is written onto the task's job with the propagator (so a queue carries it to a worker
 * in another process), and each attempt runs in a new `task <name>` span whose link points at
 * the request's span. The attempt's failure is recorded on that span, as a request's is on its.
 */
export function taskSpans(opts: OpenTelemetryOptions): Required<TaskContextHooks> {
  const propagator = () => opts.propagator ?? propagation
  return {
    capture() {
      const carrier: Record<string, string> = {}
      propagator().inject(context.active(), carrier, defaultTextMapSetter)
      return Object.keys(carrier).length > 0 ? carrier : undefined
    },
    around<T>(attempt: TaskAttemptInfo, run: () => Promise<T>): Promise<T> {
      const queued = queuedContext(propagator(), attempt.carrier)
      const linked = trace.getSpanContext(queued)
      const links: Link[] = linked && trace.isSpanContextValid(linked) ? [{ context: linked }] : []
      const attributes: Attributes = {
        'faultline.task.id': attempt.taskId,
        'faultline.task.name': attempt.task,
        'faultline.task.attempt': attempt.attempt,
      }
      if (attempt.requestId !== undefined) attributes['faultline.request_id'] = attempt.requestId
      const tracer = (opts.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE_NAME)
      // a trace of its own, linked, not a child: the request's trace ended when its response went
      const span = tracer.startSpan(
        `task ${attempt.task}`,
        { kind: SpanKind.CONSUMER, root: true, links, attributes },
        queued,
      )
      // the queued context keeps the request's baggage; the task's span is the active one
      return context.with(trace.setSpan(queued, span), async () => {
        try {
          return await run()
        } finally {
          span.end()
        }
      })
    },
  }
}

/** The context the task was queued in, as its carrier tells it; the root context without one. */
function queuedContext(propagator: Pick<typeof propagation, 'extract'>, carrier: TaskCarrier | undefined) {
  return carrier ? propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter) : ROOT_CONTEXT
}
