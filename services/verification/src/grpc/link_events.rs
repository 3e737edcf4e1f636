//! `RecordLinkEvents` (scope `link`) and `GetLinkFunnel` (scope `status`).

use chrono::{DateTime, TimeZone as _, Utc};
use penny_proto::v1 as pb;
use penny_runtime::auth::{Scope, require};
use tonic::{Request, Response, Status};

use super::VerificationApi;
use super::error::invalid;
use super::link_input::session_input;
use crate::domain::Flow;
use crate::events::timestamp;
use crate::funnel::{RecordError, Report};

impl VerificationApi {
    pub(super) async fn record_link_events_impl(
        &self,
        request: Request<pb::RecordLinkEventsRequest>,
    ) -> Result<Response<pb::RecordLinkEventsResponse>, Status> {
        require(&request, Scope::Link)?;
        let input = session_input(request.into_inner(), Utc::now())?;
        let recorded = self.funnel.record(&input).await.map_err(|e| match e {
            RecordError::OtherUser => Status::failed_precondition(e.to_string()),
            RecordError::Db(e) => {
                tracing::error!(error = %format!("{e:#}"), "recording Link events");
                Status::internal("internal error")
            }
        })?;
        Ok(Response::new(pb::RecordLinkEventsResponse {
            recorded: u32::try_from(recorded.new.len()).unwrap_or(u32::MAX),
            duplicates: recorded.duplicates,
        }))
    }

    pub(super) async fn get_link_funnel_impl(
        &self,
        request: Request<pb::GetLinkFunnelRequest>,
    ) -> Result<Response<pb::LinkFunnel>, Status> {
        require(&request, Scope::Status)?;
        let req = request.into_inner();
        let from = instant("from", req.from)?;
        let to = instant("to", req.to)?;
        if to <= from {
            return Err(invalid("to", "must be after from"));
        }
        let flow = match pb::VerificationFlow::try_from(req.flow) {
            Ok(pb::VerificationFlow::Unspecified) => None,
            Ok(pb::VerificationFlow::Automated) => Some(Flow::Automated),
            Ok(pb::VerificationFlow::SameDay) => Some(Flow::SameDay),
            Ok(pb::VerificationFlow::Instant) => Some(Flow::Instant),
            Err(_) => return Err(invalid("flow", "unknown VerificationFlow value")),
        };
        let report = self.funnel.report(from, to, flow).await.map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "reading the Link funnel");
            Status::internal("internal error")
        })?;
        Ok(Response::new(funnel(report, from, to, req.flow)))
    }
}

/// A required timestamp field.
fn instant(field: &str, ts: Option<prost_types::Timestamp>) -> Result<DateTime<Utc>, Status> {
    let ts = ts.ok_or_else(|| invalid(field, "is required"))?;
    u32::try_from(ts.nanos)
        .ok()
        .and_then(|nanos| Utc.timestamp_opt(ts.seconds, nanos).single())
        .ok_or_else(|| invalid(field, "is not a valid timestamp"))
}

fn funnel(report: Report, from: DateTime<Utc>, to: DateTime<Utc>, flow: i32) -> pb::LinkFunnel {
    pb::LinkFunnel {
        from: Some(timestamp(from)),
        to: Some(timestamp(to)),
        flow,
        sessions: report.sessions,
        steps: report
            .steps
            .into_iter()
            .map(|s| pb::LinkFunnelStepCount {
                step: s.step.to_proto() as i32,
                sessions: s.sessions,
                median_from_previous: s
                    .median_from_previous
                    .and_then(|d| prost_types::Duration::try_from(d.to_std().ok()?).ok()),
            })
            .collect(),
        exits: report
            .exits
            .into_iter()
            .map(|e| pb::LinkFunnelExit {
                after_step: e
                    .after
                    .map_or(pb::LinkFunnelStep::Unspecified, |s| s.to_proto())
                    as i32,
                error_code: e.error_code,
                exit_status: e.exit_status,
                sessions: e.sessions,
            })
            .collect(),
        successes: report.successes,
    }
}
