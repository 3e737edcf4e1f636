//! `init()`: the test subscriber gives spans real trace ids, so propagation can be asserted.

#[test]
fn spans_have_trace_ids_that_propagate() {
    penny_testkit::init();
    penny_testkit::init(); // idempotent
    let sender = tracing::info_span!("send");
    let mut headers = async_nats::HeaderMap::new();
    let sent = sender.in_scope(|| {
        penny_telemetry::inject_nats(&mut headers);
        penny_telemetry::current_trace_id()
    });
    let sent = sent.expect("the test subscriber records spans with OpenTelemetry");
    let receiver = tracing::info_span!("receive");
    penny_telemetry::set_parent(&receiver, penny_telemetry::extract_nats(Some(&headers)));
    let received = receiver.in_scope(penny_telemetry::current_trace_id);
    assert_eq!(received.as_deref(), Some(sent.as_str()));
}
