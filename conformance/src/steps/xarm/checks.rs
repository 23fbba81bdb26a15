//! Pure checks of decoded xArm status samples: value access, JSON equality with numeric tolerance, joint
//! limits, the TCP pose against forward kinematics, consistency between keys, and straight-line distance.

use serde_json::{Map, Value};
use understudy_core::model::arm::kinematics::pose_distance;
use understudy_core::model::arm::limits::joint_limits;
use understudy_core::model::arm::{ArmModel, Pose, fk};
use understudy_sim::serve::xarm::parse_model;

/// A status sample keyed by name.
pub type Sample = Map<String, Value>;

/// Position tolerance of the FK check (mm): 1e-6 m, as the rule states.
pub const FK_MM: f64 = 1e-3;
/// Orientation tolerance of the FK check (deg).
pub const FK_DEG: f64 = 1e-3;
/// Slack on joint limits (deg), for the conversion from the SDK's radians.
const LIMIT_SLACK_DEG: f64 = 1e-6;

/// The value of `key`, or an error naming it.
pub fn get<'a>(sample: &'a Sample, key: &str) -> Result<&'a Value, String> {
    sample
        .get(key)
        .ok_or_else(|| format!("the status sample has no key {key}"))
}

/// The numbers of an array-valued key.
pub fn numbers(sample: &Sample, key: &str) -> Result<Vec<f64>, String> {
    get(sample, key)?
        .as_array()
        .and_then(|items| items.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
        .ok_or_else(|| format!("{key} is not an array of numbers: {}", sample[key]))
}

/// The model a sample reports in `xarm_type`.
pub fn model(sample: &Sample) -> Result<ArmModel, String> {
    let name = get(sample, "xarm_type")?.as_str().unwrap_or_default();
    parse_model(name).ok_or_else(|| format!("xarm_type {name:?} is not xarm5, xarm6, xarm7 or lite6"))
}

/// Whether two JSON values are equal, numbers compared as floats (so `1` equals `1.0`) to 1e-9 relative.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Every joint of `xarm_joint_pose` (deg) and `xarm_joint_radian` (rad) within the model's SDK limits, and as
/// many joints as `xarm_axis` says.
pub fn joint_limits_hold(sample: &Sample) -> Result<(), String> {
    let model = model(sample)?;
    let limits = joint_limits(model);
    let degrees = numbers(sample, "xarm_joint_pose")?;
    let axis = get(sample, "xarm_axis")?.as_u64().unwrap_or(0) as usize;
    if degrees.len() != axis || axis != model.dof() {
        return Err(format!(
            "xarm_joint_pose has {} joints, xarm_axis says {axis}, a {} has {}",
            degrees.len(),
            model.name(),
            model.dof()
        ));
    }
    for (joint, (q, (lo, hi))) in degrees.iter().zip(limits).enumerate() {
        let (lo, hi) = (lo.to_degrees(), hi.to_degrees());
        if *q < lo - LIMIT_SLACK_DEG || *q > hi + LIMIT_SLACK_DEG {
            return Err(format!(
                "joint {} at {q} deg is outside its limits [{lo:.4}, {hi:.4}] deg",
                joint + 1
            ));
        }
    }
    if let Ok(radians) = numbers(sample, "xarm_joint_radian") {
        for (joint, (q, (lo, hi))) in radians.iter().zip(limits).enumerate() {
            if *q < lo - 1e-8 || *q > hi + 1e-8 {
                return Err(format!(
                    "joint {} at {q} rad (xarm_joint_radian) is outside [{lo}, {hi}]",
                    joint + 1
                ));
            }
        }
    }
    Ok(())
}

/// The reported pose `[x, y, z mm, roll, pitch, yaw deg]` as a kinematics pose (mm, rad).
pub fn pose_of(values: &[f64]) -> Result<Pose, String> {
    let v: [f64; 6] = values
        .try_into()
        .map_err(|_| format!("a pose has 6 values, not {}", values.len()))?;
    Ok(Pose::from_array([
        v[0],
        v[1],
        v[2],
        v[3].to_radians(),
        v[4].to_radians(),
        v[5].to_radians(),
    ]))
}

/// Position (mm) and rotation (deg) between two poses.
pub fn pose_gap(a: &Pose, b: &Pose) -> (f64, f64) {
    let (mm, rad) = pose_distance(a, b);
    (mm, rad.to_degrees())
}

/// `xarm_tcp_pose` equals the forward kinematics of `xarm_joint_pose` for the reported model and
/// `xarm_tcp_offset`, to [`FK_MM`] and [`FK_DEG`].
pub fn tcp_on_fk(sample: &Sample) -> Result<(), String> {
    let model = model(sample)?;
    let joints: Vec<f64> = numbers(sample, "xarm_joint_pose")?
        .iter()
        .map(|q| q.to_radians())
        .collect();
    let offset = pose_of(&numbers(sample, "xarm_tcp_offset")?)?.to_array();
    let expected = fk(model, &joints, offset).map_err(|e| e.to_string())?;
    let reported = pose_of(&numbers(sample, "xarm_tcp_pose")?)?;
    let (mm, deg) = pose_gap(&reported, &expected);
    if mm <= FK_MM && deg <= FK_DEG {
        return Ok(());
    }
    let e = expected.to_array();
    Err(format!(
        "xarm_tcp_pose {:?} is {mm:.6} mm and {deg:.6} deg from the forward kinematics of the {} joints {:?}: \
         [{:.4}, {:.4}, {:.4}, {:.4}, {:.4}, {:.4}]",
        numbers(sample, "xarm_tcp_pose")?,
        model.name(),
        numbers(sample, "xarm_joint_pose")?,
        e[0],
        e[1],
        e[2],
        e[3].to_degrees(),
        e[4].to_degrees(),
        e[5].to_degrees()
    ))
}

/// Keys that describe the same thing agree: joint count and `xarm_axis`, degrees and radians, `xarm_paused`
/// and state 3, the model and identity of the info report (when given).
pub fn consistent(sample: &Sample, info: Option<&Value>) -> Result<(), String> {
    let degrees = numbers(sample, "xarm_joint_pose")?;
    let radians = numbers(sample, "xarm_joint_radian")?;
    let axis = get(sample, "xarm_axis")?.as_u64().unwrap_or(0) as usize;
    if degrees.len() != axis || radians.len() != axis {
        return Err(format!(
            "xarm_axis is {axis} but xarm_joint_pose has {} and xarm_joint_radian {} values",
            degrees.len(),
            radians.len()
        ));
    }
    if let Some((d, r)) = degrees
        .iter()
        .zip(&radians)
        .find(|(d, r)| (d.to_radians() - *r).abs() > 1e-6)
    {
        return Err(format!(
            "xarm_joint_pose {d} deg and xarm_joint_radian {r} rad disagree"
        ));
    }
    let state = get(sample, "xarm_state")?.as_i64();
    if get(sample, "xarm_paused")?.as_bool() != Some(state == Some(3)) {
        return Err(format!(
            "xarm_paused is {} while xarm_state is {}",
            sample["xarm_paused"], sample["xarm_state"]
        ));
    }
    if let Some(info) = info {
        for key in ["xarm_type", "xarm_version"] {
            if info
                .get(key)
                .is_some_and(|v| v != get(sample, key).unwrap_or(&Value::Null))
            {
                return Err(format!(
                    "{key} is {} in the status report but {} in the info report",
                    sample[key], info[key]
                ));
            }
        }
        if info.get("xarm_axis").is_some_and(|v| v.as_u64() != Some(axis as u64)) {
            return Err(format!(
                "xarm_axis is {axis} in the status report but {} in the info report",
                info["xarm_axis"]
            ));
        }
    }
    Ok(())
}

/// Distance (mm) from `p` to the segment from `a` to `b`.
pub fn segment_distance(p: [f64; 3], a: [f64; 3], b: [f64; 3]) -> f64 {
    let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let ap = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
    let len2 = ab.iter().map(|v| v * v).sum::<f64>();
    let t = if len2 > 0.0 {
        (ab.iter().zip(&ap).map(|(u, v)| u * v).sum::<f64>() / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (0..3).map(|i| (ap[i] - t * ab[i]).powi(2)).sum::<f64>().sqrt()
}

/// Parses `1, -2.5, 3` into numbers.
pub fn number_list(text: &str) -> Result<Vec<f64>, String> {
    text.split(',')
        .map(|part| {
            part.trim()
                .parse::<f64>()
                .map_err(|_| format!("{part:?} in {text:?} is not a number"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(model: ArmModel, joints_deg: &[f64], offset: [f64; 6], nudge_mm: f64) -> Sample {
        let rad: Vec<f64> = joints_deg.iter().map(|q| q.to_radians()).collect();
        let offset_rad = pose_of(&offset).unwrap().to_array();
        let p = fk(model, &rad, offset_rad).unwrap().to_array();
        let pose = [
            p[0] + nudge_mm,
            p[1],
            p[2],
            p[3].to_degrees(),
            p[4].to_degrees(),
            p[5].to_degrees(),
        ];
        let value = json!({
            "xarm_type": model.name(),
            "xarm_axis": model.dof(),
            "xarm_state": 2,
            "xarm_paused": false,
            "xarm_joint_pose": joints_deg,
            "xarm_joint_radian": rad,
            "xarm_tcp_offset": offset,
            "xarm_tcp_pose": pose,
        });
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_fk_check_accepts_fk_and_names_a_pose_off_by_half_a_millimetre() {
        for model in ArmModel::ALL {
            let joints: Vec<f64> = (0..model.dof()).map(|j| 10.0 + 7.0 * j as f64).collect();
            let offset = [0.0, 5.0, 100.0, 0.0, 0.0, 30.0];
            assert_eq!(tcp_on_fk(&sample(model, &joints, offset, 0.0)), Ok(()), "{model:?}");
            let error = tcp_on_fk(&sample(model, &joints, offset, 0.5)).unwrap_err();
            assert!(error.contains("0.500000 mm"), "{error}");
        }
    }

    #[test]
    fn joint_limits_are_the_models_own() {
        let inside = sample(ArmModel::XArm6, &[0.0, 119.0, -224.0, 0.0, 0.0, 0.0], [0.0; 6], 0.0);
        assert_eq!(joint_limits_hold(&inside), Ok(()));
        let outside = sample(ArmModel::XArm6, &[0.0, 121.0, 0.0, 0.0, 0.0, 0.0], [0.0; 6], 0.0);
        assert!(joint_limits_hold(&outside).unwrap_err().contains("joint 2"));
        let lite = sample(ArmModel::Lite6, &[0.0, 121.0, 10.0, 0.0, 0.0, 0.0], [0.0; 6], 0.0);
        assert_eq!(joint_limits_hold(&lite), Ok(()), "a Lite 6 J2 reaches 150 deg");
        let mut short = inside.clone();
        short["xarm_axis"] = json!(7);
        assert!(joint_limits_hold(&short).is_err());
    }

    #[test]
    fn consistency_between_keys() {
        let good = sample(ArmModel::XArm7, &[1.0; 7], [0.0; 6], 0.0);
        let info = json!({"xarm_type": "xarm7", "xarm_axis": 7});
        assert_eq!(consistent(&good, Some(&info)), Ok(()));
        assert!(consistent(&good, Some(&json!({"xarm_type": "xarm6"}))).is_err());
        let mut paused = good.clone();
        paused["xarm_state"] = json!(3);
        assert!(consistent(&paused, None).unwrap_err().contains("xarm_paused"));
        let mut skewed = good;
        skewed["xarm_joint_radian"][0] = json!(1.0);
        assert!(consistent(&skewed, None).is_err());
    }

    #[test]
    fn numbers_compare_as_floats_and_segments_measure_distance() {
        assert!(json_eq(&json!([1, {"a": 0.5}]), &json!([1.0, {"a": 0.5}])));
        assert!(!json_eq(&json!([1, 2]), &json!([1, 2, 3])));
        assert!(!json_eq(&json!("1"), &json!(1)));
        assert_eq!(segment_distance([5.0, 3.0, 0.0], [0.0; 3], [10.0, 0.0, 0.0]), 3.0);
        assert_eq!(segment_distance([-4.0, 3.0, 0.0], [0.0; 3], [10.0, 0.0, 0.0]), 5.0);
        assert_eq!(number_list("1, -2.5,3").unwrap(), vec![1.0, -2.5, 3.0]);
        assert!(number_list("1, x").is_err());
    }
}
