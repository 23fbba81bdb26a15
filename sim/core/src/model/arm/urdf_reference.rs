//! Independent FK check: composes the URDF joint origins of `xarm_ros2` (branch humble,
//! `xarm_description/config/kinematics/default/*_default_kinematics.yaml`) and compares with the DH FK.
//!
//! Each URDF joint is `Trans(x, y, z) * Rz(yaw) Ry(pitch) Rx(roll) * Rz(q)`, in metres.
//! The yaml rounds pi/2 to 1.5708 and pi to 3.1416; [`exact`] restores the exact angles
//! (the verbatim numbers are kept and checked separately to a looser tolerance).
//! Lite 6's yaml lengths (0.2435, 0.2002, 0.22761, 0.0625) differ from UFACTORY's published
//! DH (243.3, 200, 227.6, 61.5 mm) and from the SDK's zero pose (87, 0, 154.2); the nominal table
//! uses the published lengths in the URDF's frame layout, and the yaml is checked to within 1.5 mm.

// The yaml's rounded 1.5708 / 3.1416 are kept verbatim on purpose.
#![allow(clippy::approx_constant)]

use std::f64::consts::{FRAC_PI_2, PI};

use super::ArmModel;
use super::kinematics::fk_transform;
use super::math::{Mat3, Transform, rot_z, rpy_to_mat};

/// `[x, y, z, roll, pitch, yaw]` of one URDF joint origin (m, rad).
type Origin = [f64; 6];

/// Verbatim yaml values.
const XARM5_YAML: [Origin; 5] = [
    [0.0, 0.0, 0.267, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, -1.5708, 0.0, 0.0],
    [0.0535, -0.2845, 0.0, 0.0, 0.0, 0.0],
    [0.0775, 0.3425, 0.0, 0.0, 0.0, 0.0],
    [0.076, 0.097, 0.0, -1.5708, 0.0, 0.0],
];

const XARM6_YAML: [Origin; 6] = [
    [0.0, 0.0, 0.267, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, -1.5708, 0.0, 0.0],
    [0.0535, -0.2845, 0.0, 0.0, 0.0, 0.0],
    [0.0775, 0.3425, 0.0, -1.5708, 0.0, 0.0],
    [0.0, 0.0, 0.0, 1.5708, 0.0, 0.0],
    [0.076, 0.097, 0.0, -1.5708, 0.0, 0.0],
];

const XARM7_YAML: [Origin; 7] = [
    [0.0, 0.0, 0.267, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, -1.5708, 0.0, 0.0],
    [0.0, -0.293, 0.0, 1.5708, 0.0, 0.0],
    [0.0525, 0.0, 0.0, 1.5708, 0.0, 0.0],
    [0.0775, -0.3425, 0.0, 1.5708, 0.0, 0.0],
    [0.0, 0.0, 0.0, 1.5708, 0.0, 0.0],
    [0.076, 0.097, 0.0, -1.5708, 0.0, 0.0],
];

const LITE6_YAML: [Origin; 6] = [
    [0.0, 0.0, 0.2435, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 1.5708, -1.5708, 3.1416],
    [0.2002, 0.0, 0.0, -3.1416, 0.0, 1.5708],
    [0.087, -0.22761, 0.0, 1.5708, 0.0, 0.0],
    [0.0, 0.0, 0.0, 1.5708, 0.0, 0.0],
    [0.0, 0.0625, 0.0, -1.5708, 0.0, 0.0],
];

/// Lite 6 in the URDF frame layout with UFACTORY's published lengths and exact angles.
const LITE6_NOMINAL: [Origin; 6] = [
    [0.0, 0.0, 0.2433, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, FRAC_PI_2, -FRAC_PI_2, PI],
    [0.200, 0.0, 0.0, -PI, 0.0, FRAC_PI_2],
    [0.087, -0.2276, 0.0, FRAC_PI_2, 0.0, 0.0],
    [0.0, 0.0, 0.0, FRAC_PI_2, 0.0, 0.0],
    [0.0, 0.0615, 0.0, -FRAC_PI_2, 0.0, 0.0],
];

/// Replaces the yaml's rounded 1.5708 / 3.1416 by exact pi/2 / pi.
fn exact(origins: &[Origin]) -> Vec<Origin> {
    let snap = |v: f64| {
        for k in [-2.0, -1.0, 1.0, 2.0] {
            if (v - k * FRAC_PI_2).abs() < 1e-4 {
                return k * FRAC_PI_2;
            }
        }
        v
    };
    origins
        .iter()
        .map(|o| [o[0], o[1], o[2], snap(o[3]), snap(o[4]), snap(o[5])])
        .collect()
}

/// Flange transform (metres) of a URDF chain at `q`.
fn urdf_fk(origins: &[Origin], q: &[f64]) -> Transform {
    origins.iter().zip(q).fold(Transform::IDENTITY, |t, (o, &qi)| {
        let origin = Transform {
            rot: rpy_to_mat(o[3], o[4], o[5]),
            pos: [o[0], o[1], o[2]],
        };
        t.compose(&origin).compose(&Transform::rotation(rot_z(qi)))
    })
}

/// Joint vectors for each model: zeros and three non-trivial ones (rad).
fn joint_sets(model: ArmModel) -> Vec<Vec<f64>> {
    let n = model.dof();
    let a = [0.5, -0.7, -1.1, 1.3, 0.9, -2.2, 0.4];
    let b = [-2.9, 1.4, -0.3, -0.6, 2.5, 3.0, -1.7];
    let c = [1.0, 0.3, 0.2, 2.0, -1.2, 0.7, 5.0];
    vec![vec![0.0; n], a[..n].to_vec(), b[..n].to_vec(), c[..n].to_vec()]
}

fn max_rot_diff(a: &Mat3, b: &Mat3) -> f64 {
    (0..3)
        .flat_map(|i| (0..3).map(move |j| (a[i][j] - b[i][j]).abs()))
        .fold(0.0, f64::max)
}

/// Largest position (m) and rotation-matrix entry differences between DH FK and the URDF chain.
fn compare(model: ArmModel, origins: &[Origin]) -> (f64, f64) {
    let mut worst = (0.0f64, 0.0f64);
    for q in joint_sets(model) {
        let dh = fk_transform(model, &q, [0.0; 6]).unwrap_or(Transform::IDENTITY);
        let urdf = urdf_fk(origins, &q);
        let dp = (0..3)
            .map(|i| (dh.pos[i] / 1000.0 - urdf.pos[i]).abs())
            .fold(0.0, f64::max);
        worst.0 = worst.0.max(dp);
        worst.1 = worst.1.max(max_rot_diff(&dh.rot, &urdf.rot));
    }
    worst
}

fn tables() -> [(ArmModel, Vec<Origin>, Vec<Origin>); 4] {
    [
        (ArmModel::XArm5, exact(&XARM5_YAML), XARM5_YAML.to_vec()),
        (ArmModel::XArm6, exact(&XARM6_YAML), XARM6_YAML.to_vec()),
        (ArmModel::XArm7, exact(&XARM7_YAML), XARM7_YAML.to_vec()),
        (ArmModel::Lite6, LITE6_NOMINAL.to_vec(), LITE6_YAML.to_vec()),
    ]
}

#[test]
fn dh_fk_matches_urdf_chain_to_1e_6_m() {
    for (model, nominal, _) in tables() {
        assert_eq!(nominal.len(), model.dof());
        let (dp, dr) = compare(model, &nominal);
        assert!(dp < 1e-6, "{model:?}: position differs by {dp} m");
        assert!(dr < 1e-9, "{model:?}: rotation differs by {dr}");
    }
}

#[test]
fn dh_fk_matches_verbatim_yaml_within_rounding() {
    for (model, _, yaml) in tables() {
        let (dp, dr) = compare(model, &yaml);
        // 1.5708 vs pi/2 is 3.7e-6 rad; Lite 6's yaml lengths are off by up to 1 mm.
        let pos_tol = if model == ArmModel::Lite6 { 1.5e-3 } else { 1e-5 };
        assert!(dp < pos_tol, "{model:?}: position differs by {dp} m");
        assert!(dr < 1e-4, "{model:?}: rotation differs by {dr}");
    }
}

#[test]
fn urdf_chain_is_not_trivially_equal() {
    // Guard: the comparison would catch a wrong joint sign.
    let mut q = vec![0.0; 6];
    q[1] = 0.5;
    let dh = fk_transform(ArmModel::XArm6, &q, [0.0; 6]).unwrap_or(Transform::IDENTITY);
    q[1] = -0.5;
    let urdf = urdf_fk(&exact(&XARM6_YAML), &q);
    assert!((dh.pos[0] / 1000.0 - urdf.pos[0]).abs() > 0.01);
}
