//! JSON log lines that carry the OpenTelemetry trace and span id of the current span, so a log
//! search by `trace_id` finds every line of one webhook's journey.

use std::sync::OnceLock;

use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceId};
use tracing::dispatcher::WeakDispatch;
use tracing::span::Id;
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The OpenTelemetry ids of a span, cached in its extensions by [`TraceIdLayer`]. Kept as ids
/// (two integers) and only formatted when a log line is written: most spans never log.
#[derive(Clone, Copy)]
struct TraceIds {
    trace_id: TraceId,
    span_id: SpanId,
}

/// Records each span's OpenTelemetry trace and span id in the span's extensions the first time
/// the span is entered (not at creation: that would fix the trace before `set_parent` can run).
/// The ids cannot be looked up while an event is being formatted (`tracing` refuses re-entrant
/// dispatcher access there), hence this cache.
#[derive(Default)]
pub(crate) struct TraceIdLayer {
    dispatch: OnceLock<WeakDispatch>,
}

impl<S> Layer<S> for TraceIdLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        let _ = self.dispatch.set(subscriber.downgrade());
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if span.extensions().get::<TraceIds>().is_some() {
            return;
        }
        let Some(dispatch) = self.dispatch.get().and_then(WeakDispatch::upgrade) else {
            return;
        };
        // Must not hold the span's extensions here: the lookup locks them.
        let Some(cx) = tracing_opentelemetry::get_otel_context(id, &dispatch) else {
            return;
        };
        let otel_span = cx.span();
        let sc = otel_span.span_context();
        if sc.is_valid() {
            span.extensions_mut().insert(TraceIds {
                trace_id: sc.trace_id(),
                span_id: sc.span_id(),
            });
        }
    }
}

/// Wraps a JSON event formatter and prepends `"trace_id"` and `"span_id"` to each object when the
/// event happens inside a span with OpenTelemetry ids (recorded by [`TraceIdLayer`]).
pub(crate) struct WithTraceIds<F>(pub(crate) F);

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let ids = ctx
            .lookup_current()
            .and_then(|span| span.extensions().get::<TraceIds>().copied());
        let Some(TraceIds { trace_id, span_id }) = ids else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::with_capacity(256);
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => {
                let sep = if rest.starts_with('}') { "" } else { "," };
                write!(
                    writer,
                    "{{\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"{sep}{rest}"
                )
            }
            None => writer.write_str(&line),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use penny_config::LogFormat;
    use tracing_subscriber::layer::SubscriberExt as _;

    use crate::init::{log_layer, otel_layer, tracer_provider};

    /// A `MakeWriter` collecting everything written into a shared buffer.
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Buf {
        type Writer = Buf;
        fn make_writer(&'w self) -> Buf {
            self.clone()
        }
    }

    fn lines(buf: &Buf) -> Vec<serde_json::Value> {
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn json_lines_carry_the_trace_id_inside_a_span_and_none_outside() {
        let provider = tracer_provider("test", None).unwrap();
        let buf = Buf::default();
        let subscriber = tracing_subscriber::registry()
            .with(log_layer(LogFormat::Json, buf.clone()))
            .with(otel_layer(&provider, "test"));
        let expected = tracing::subscriber::with_default(subscriber, || {
            tracing::info!(n = 1, "outside");
            let span = tracing::info_span!("work", item = "x");
            let _e = span.enter();
            tracing::info!(n = 2, "inside");
            crate::current_trace_id().unwrap()
        });
        let lines = lines(&buf);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].get("trace_id").is_none());
        assert_eq!(lines[0]["fields"]["message"], "outside");
        assert_eq!(lines[1]["trace_id"], expected.as_str());
        assert_eq!(lines[1]["span_id"].as_str().unwrap().len(), 16);
        assert_eq!(lines[1]["fields"]["n"], 2);
        assert_eq!(lines[1]["span"]["item"], "x");
    }

    #[test]
    fn json_lines_of_a_continued_trace_carry_the_remote_trace_id() {
        let provider = tracer_provider("test", None).unwrap();
        let buf = Buf::default();
        let subscriber = tracing_subscriber::registry()
            .with(log_layer(LogFormat::Json, buf.clone()))
            .with(otel_layer(&provider, "test"));
        let sent = tracing::subscriber::with_default(subscriber, || {
            let mut headers = http::HeaderMap::new();
            let sender = tracing::info_span!("send");
            let sent = sender.in_scope(|| {
                crate::inject_http(&mut headers);
                crate::current_trace_id().unwrap()
            });
            let receiver = tracing::info_span!("receive");
            crate::set_parent(&receiver, crate::extract_http(&headers));
            receiver.in_scope(|| tracing::info!("received"));
            sent
        });
        let lines = lines(&buf);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["trace_id"], sent.as_str());
    }
}
