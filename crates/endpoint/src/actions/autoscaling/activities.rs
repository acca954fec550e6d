//! DescribeScalingActivities: the changes of task count the Service controller recorded from the
//! HPA (`status.autoScaling.activities`, newest first, the last 20 per service), as Application Auto
//! Scaling's activities. kube-ecs records only changes it saw happen, so every activity is
//! `Successful`; there are no not-scaled activities.

use kube_ecs_wire::application_autoscaling as wire;

use super::target::{self, DIMENSION, NAMESPACE};
use crate::call::Call;
use crate::error::EcsError;

pub async fn describe(
    call: &Call<'_>,
    input: wire::DescribeScalingActivitiesRequest,
) -> Result<wire::DescribeScalingActivitiesResponse, EcsError> {
    if input.service_namespace != NAMESPACE || input.scalable_dimension.as_deref().is_some_and(|d| d != DIMENSION) {
        return Ok(wire::DescribeScalingActivitiesResponse::default());
    }
    let ids: Vec<String> = input.resource_id.iter().cloned().collect();
    let mut activities = Vec::new();
    for (resource_id, service) in target::services(call, &ids).await? {
        let recorded = service.status.as_ref().and_then(|s| s.auto_scaling.as_ref()).map(|a| a.activities.clone());
        for activity in recorded.unwrap_or_default() {
            let at = activity
                .start_time
                .as_ref()
                .and_then(|t| kube_ecs_wire::Timestamp::from_epoch_millis(t.0.as_millisecond()))
                .unwrap_or(kube_ecs_wire::Timestamp::UNIX_EPOCH);
            activities.push(wire::ScalingActivity {
                activity_id: activity.activity_id,
                service_namespace: NAMESPACE.into(),
                resource_id: resource_id.clone(),
                scalable_dimension: DIMENSION.into(),
                description: activity.description,
                cause: activity.cause,
                start_time: at,
                end_time: Some(at),
                status_code: "Successful".into(),
                status_message: Some(format!(
                    "Successfully set desired count to {}. Change successfully fulfilled by ecs.",
                    activity.to_count
                )),
                details: None,
                not_scaled_reasons: vec![],
            });
        }
    }
    // Newest first, as AWS lists them; the key orders by time, then ID.
    let (scaling_activities, next_token) = crate::pagination::page_by(
        activities,
        |a| format!("{:020}\n{}", a.start_time.epoch_millis(), a.activity_id),
        input.max_results,
        input.next_token.as_deref(),
        (50, 50),
        true,
    )?;
    Ok(wire::DescribeScalingActivitiesResponse { scaling_activities, next_token })
}
