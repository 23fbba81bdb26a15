//! Key order, alignment, value types and the kinematic consistency of reported poses, for every model.

use serde_json::Value;

use super::*;
use crate::model::arm::fk;
use crate::model::xarm::{Controller, Speed};

fn sample(model: ArmModel, joints_deg: &[f64]) -> (Controller<u8>, Identity) {
    let mut c = Controller::new(model);
    let target: Vec<Option<f64>> = joints_deg.iter().map(|d| Some(d.to_radians())).collect();
    assert_eq!(c.move_joints(SimTime::ZERO, &target, Speed::default(), 1), 100);
    (c, Identity::new(model, 5))
}

fn values(c: &Controller<u8>, id: &Identity, t: u64, clients: usize) -> Vec<Value> {
    let snapshot = c.snapshot(SimTime::from_millis(t));
    status_values(&StatusInput {
        t: SimTime::from_millis(t),
        snapshot: &snapshot,
        settings: &c.settings,
        identity: id,
        clients,
        seed: 5,
    })
}

fn at<'a>(values: &'a [Value], key: &str) -> &'a Value {
    let index = STATUS_KEYS.iter().position(|k| *k == key).unwrap();
    &values[index]
}

fn numbers(value: &Value) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

#[test]
fn keys_are_the_seed_list_unique_and_in_order() {
    assert_eq!(STATUS_KEYS.len(), 91);
    assert_eq!(STATUS_KEYS[0], "xarm_connected");
    assert_eq!(STATUS_KEYS[52], "current_clients_count");
    assert_eq!(STATUS_KEYS[85], "xarm_is_show_axis_angle");
    assert_eq!(STATUS_KEYS[90], "xarm_motion_is_callback");
    let mut sorted = STATUS_KEYS.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 91);
    let report: Value = serde_json::from_str(&keys_report()).unwrap();
    assert_eq!(report["type"], "report");
    assert_eq!(report["cmd"], "devices_status_keys_report");
    assert_eq!(report["data"].as_array().unwrap().len(), 91);
}

#[test]
fn every_key_has_a_value_and_the_report_is_aligned() {
    for model in ArmModel::ALL {
        let (c, id) = sample(model, &[10.0, -5.0]);
        let v = values(&c, &id, 200, 3);
        assert_eq!(v.len(), STATUS_KEYS.len());
        for (key, value) in STATUS_KEYS.iter().zip(&v) {
            assert!(!value.is_null(), "{model:?} {key}");
        }
        let snapshot = c.snapshot(SimTime::from_millis(200));
        let input = StatusInput {
            t: SimTime::from_millis(200),
            snapshot: &snapshot,
            settings: &c.settings,
            identity: &id,
            clients: 3,
            seed: 5,
        };
        let object = status_object(&input);
        assert_eq!(
            object.keys().map(String::as_str).collect::<Vec<_>>(),
            STATUS_KEYS.to_vec()
        );
        let frame: Value = serde_json::from_str(&status_report(&input)).unwrap();
        assert_eq!(frame["cmd"], "devices_status_report");
        let reparsed: Value = serde_json::from_str(&Value::Array(v).to_string()).unwrap();
        assert_eq!(frame["data"], reparsed);
    }
}

#[test]
fn types_follow_the_rules() {
    for model in ArmModel::ALL {
        let (c, id) = sample(model, &[30.0, 10.0]);
        let v = values(&c, &id, 150, 2);
        assert_eq!(at(&v, "xarm_state"), 1, "moving at 150 ms");
        assert!(at(&v, "xarm_mode").as_u64().is_some_and(|m| m <= 7));
        assert_eq!(at(&v, "xarm_axis").as_u64(), Some(model.dof() as u64));
        assert_eq!(at(&v, "xarm_type"), model.name());
        assert_eq!(at(&v, "current_clients_count"), 2);
        assert_eq!(at(&v, "xarm_speed_percent").as_f64(), Some(0.5));
        assert_eq!(numbers(at(&v, "xarm_tcp_pose")).len(), 6);
        let joints = numbers(at(&v, "xarm_joint_pose"));
        assert_eq!(joints.len(), model.dof());
        for (q, (lo, hi)) in joints.iter().zip(joint_limits(model)) {
            assert!(q.to_radians() >= *lo - 1e-12 && q.to_radians() <= *hi + 1e-12);
        }
        assert!(at(&v, "xarm_error_code").is_i64() && at(&v, "xarm_warn_code").is_i64());
        assert_eq!(at(&v, "xarm_mtbrake").as_array().unwrap().len(), 8);
        assert_eq!(at(&v, "ft_sensor")["axis"].as_array().unwrap().len(), 6);
        assert!(at(&v, "ft_sensor")["mode"].is_i64());
        assert_eq!(at(&v, "xarm_error")["code"], 0);
        assert_eq!(numbers(at(&v, "xarm_voltages")).len(), 7);
        assert!(at(&v, "xarm_current_angle_velo").as_f64().unwrap() > 0.0);
        assert_eq!(at(&v, "config")["joints"].as_array().unwrap().len(), model.dof());
    }
}

#[test]
fn the_tcp_pose_is_the_forward_kinematics_of_the_reported_joints() {
    for model in ArmModel::ALL {
        let (mut c, id) = sample(model, &[40.0, 20.0, 5.0, 15.0, 25.0]);
        c.advance(SimTime::from_millis(100_000));
        assert_eq!(
            c.set_tcp_offset(SimTime::from_millis(100_000), [5.0, -3.0, 60.0, 0.1, 0.0, 0.2]),
            0
        );
        for t in [100_000, 100_050] {
            let v = values(&c, &id, t, 1);
            let radians = numbers(at(&v, "xarm_joint_radian"));
            let degrees = numbers(at(&v, "xarm_joint_pose"));
            for (r, d) in radians.iter().zip(&degrees) {
                assert!((r.to_degrees() - d).abs() < 1e-9);
            }
            let offset = numbers(at(&v, "xarm_tcp_offset"));
            assert_eq!(offset[2], 60.0);
            let offset_rad = crate::proto::xarm::pose_from_studio([
                offset[0], offset[1], offset[2], offset[3], offset[4], offset[5],
            ]);
            let expected = fk(model, &radians, offset_rad).unwrap();
            let pose = numbers(at(&v, "xarm_tcp_pose"));
            let e = expected.to_array();
            for k in 0..3 {
                assert!((pose[k] - e[k]).abs() < 1e-6, "{model:?} {pose:?} {e:?}");
                assert!((pose[k + 3].to_radians() - e[k + 3]).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn errors_speed_and_sensors_show_up() {
    let (mut c, id) = sample(ArmModel::XArm6, &[10.0]);
    c.raise_error(SimTime::from_millis(10), 31);
    c.raise_warn(SimTime::from_millis(10), 14);
    let v = values(&c, &id, 20, 1);
    assert_eq!(at(&v, "xarm_error_code"), 31);
    assert_eq!(at(&v, "xarm_error")["desc"]["en"], "Collision Caused Abnormal Current");
    assert_eq!(at(&v, "xarm_warn")["code"], 14);
    assert_eq!(at(&v, "xarm_state"), 4);
    assert_eq!(at(&v, "xarm_is_ready"), false);
    let again = values(&c, &id, 20, 1);
    assert_eq!(
        at(&v, "xarm_currents"),
        at(&again, "xarm_currents"),
        "noise is a function of time"
    );
    let later = values(&c, &id, 30, 1);
    assert_ne!(at(&v, "xarm_voltages"), at(&later, "xarm_voltages"));
}
