//! Small 3-D rigid-transform helpers (rotation matrices, RPY, rotation vectors).
//! Plain `[f64; 3]` arrays and row-major 3x3 matrices; no external linear algebra.

use std::f64::consts::PI;

/// A 3-vector.
pub type Vec3 = [f64; 3];
/// A row-major 3x3 matrix (`m[row][col]`).
pub type Mat3 = [[f64; 3]; 3];

/// The 3x3 identity.
pub const IDENTITY: Mat3 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// A rigid transform: `p_parent = rot * p_child + pos`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transform {
    /// Rotation part.
    pub rot: Mat3,
    /// Translation part.
    pub pos: Vec3,
}

impl Transform {
    /// The identity transform.
    pub const IDENTITY: Transform = Transform {
        rot: IDENTITY,
        pos: [0.0; 3],
    };

    /// A pure translation.
    pub fn translation(pos: Vec3) -> Transform {
        Transform { rot: IDENTITY, pos }
    }

    /// A pure rotation.
    pub fn rotation(rot: Mat3) -> Transform {
        Transform { rot, pos: [0.0; 3] }
    }

    /// `self * other` (apply `other` first, then `self`).
    pub fn compose(&self, other: &Transform) -> Transform {
        Transform {
            rot: mat_mul(&self.rot, &other.rot),
            pos: add(mat_vec(&self.rot, &other.pos), self.pos),
        }
    }
}

/// `a + b`.
pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// `a - b`.
pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// `a * s`.
pub fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

/// Euclidean norm.
pub fn norm(a: Vec3) -> f64 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}

/// Cross product `a x b`.
pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// `a * b`.
pub fn mat_mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

/// `m * v`.
pub fn mat_vec(m: &Mat3, v: &Vec3) -> Vec3 {
    [
        m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
        m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
        m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
    ]
}

/// `m` transposed (the inverse of a rotation).
pub fn transpose(m: &Mat3) -> Mat3 {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in m.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            out[j][i] = *v;
        }
    }
    out
}

/// Rotation about x by `a` rad.
pub fn rot_x(a: f64) -> Mat3 {
    let (s, c) = a.sin_cos();
    [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]
}

/// Rotation about y by `a` rad.
pub fn rot_y(a: f64) -> Mat3 {
    let (s, c) = a.sin_cos();
    [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
}

/// Rotation about z by `a` rad.
pub fn rot_z(a: f64) -> Mat3 {
    let (s, c) = a.sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

/// `R = Rz(yaw) * Ry(pitch) * Rx(roll)` (fixed-axis X-Y-Z, as the xArm SDK and URDF use).
pub fn rpy_to_mat(roll: f64, pitch: f64, yaw: f64) -> Mat3 {
    mat_mul(&rot_z(yaw), &mat_mul(&rot_y(pitch), &rot_x(roll)))
}

/// Wraps an angle into `(-pi, pi]`; values within 1e-9 of `-pi` become `+pi`.
pub fn wrap_angle(a: f64) -> f64 {
    let mut w = a.rem_euclid(2.0 * PI);
    if w > PI {
        w -= 2.0 * PI;
    }
    if w <= -PI + 1e-9 {
        w = PI;
    }
    if w == 0.0 {
        0.0 // normalise -0.0
    } else {
        w
    }
}

/// Inverse of [`rpy_to_mat`]: `(roll, pitch, yaw)`, each in `(-pi, pi]`, pitch in `[-pi/2, pi/2]`.
/// At gimbal lock (|pitch| = pi/2) yaw is reported as 0 and the rotation is put in roll.
pub fn mat_to_rpy(m: &Mat3) -> (f64, f64, f64) {
    let cp = (m[0][0] * m[0][0] + m[1][0] * m[1][0]).sqrt();
    let pitch = (-m[2][0]).atan2(cp);
    if cp < 1e-10 {
        let roll = (-m[1][2]).atan2(m[1][1]);
        (wrap_angle(roll), pitch, 0.0)
    } else {
        let roll = m[2][1].atan2(m[2][2]);
        let yaw = m[1][0].atan2(m[0][0]);
        (wrap_angle(roll), pitch, wrap_angle(yaw))
    }
}

/// The rotation vector (axis * angle, angle in `[0, pi]`) of rotation `m`.
pub fn rot_log(m: &Mat3) -> Vec3 {
    let tr = m[0][0] + m[1][1] + m[2][2];
    let cos = ((tr - 1.0) / 2.0).clamp(-1.0, 1.0);
    let angle = cos.acos();
    let w = [m[2][1] - m[1][2], m[0][2] - m[2][0], m[1][0] - m[0][1]];
    if angle < 1e-6 {
        // sin(angle) ~ angle: first-order.
        return scale(w, 0.5);
    }
    if PI - angle < 1e-6 {
        // Near pi: axis from the symmetric part, sign from the skew part when available.
        let diag = [m[0][0], m[1][1], m[2][2]];
        let k = (0..3).max_by(|&a, &b| diag[a].total_cmp(&diag[b])).unwrap_or(0);
        let mut axis = [0.0; 3];
        let denom = (2.0 * (1.0 + m[k][k])).max(0.0).sqrt();
        for (j, a) in axis.iter_mut().enumerate() {
            *a = if j == k {
                denom / 2.0
            } else {
                (m[j][k] + m[k][j]) / (2.0 * denom)
            };
        }
        let n = norm(axis);
        if n > 0.0 {
            axis = scale(axis, 1.0 / n);
        }
        if axis[0] * w[0] + axis[1] * w[1] + axis[2] * w[2] < 0.0 {
            axis = scale(axis, -1.0);
        }
        return scale(axis, angle);
    }
    scale(w, angle / (2.0 * angle.sin()))
}

/// The rotation matrix of rotation vector `v` (Rodrigues).
pub fn rot_exp(v: Vec3) -> Mat3 {
    let angle = norm(v);
    if angle < 1e-12 {
        return [[1.0, -v[2], v[1]], [v[2], 1.0, -v[0]], [-v[1], v[0], 1.0]];
    }
    let k = scale(v, 1.0 / angle);
    let (s, c) = angle.sin_cos();
    let t = 1.0 - c;
    [
        [
            c + k[0] * k[0] * t,
            k[0] * k[1] * t - k[2] * s,
            k[0] * k[2] * t + k[1] * s,
        ],
        [
            k[1] * k[0] * t + k[2] * s,
            c + k[1] * k[1] * t,
            k[1] * k[2] * t - k[0] * s,
        ],
        [
            k[2] * k[0] * t - k[1] * s,
            k[2] * k[1] * t + k[0] * s,
            c + k[2] * k[2] * t,
        ],
    ]
}

/// The largest system [`solve_spd`] takes: one row per joint of the arm with the most.
pub const MAX_N: usize = 7;
/// A square matrix of up to [`MAX_N`] rows, on the stack; only the leading `n` x `n` block is used.
pub type Square = [[f64; MAX_N]; MAX_N];

/// Solves the symmetric positive-definite system `a x = b` (Cholesky) for the `b.len()` leading rows and
/// columns of `a`. `None` if not SPD. Nothing is allocated: the solver runs thousands of times per IK search.
pub fn solve_spd(a: &Square, b: &[f64]) -> Option<[f64; MAX_N]> {
    let n = b.len();
    let mut l = [[0.0; MAX_N]; MAX_N];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    let mut y = [0.0; MAX_N];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i][k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i][i];
    }
    let mut x = [0.0; MAX_N];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k][i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i][i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mat_close(a: &Mat3, b: &Mat3, tol: f64) -> bool {
        (0..3).all(|i| (0..3).all(|j| (a[i][j] - b[i][j]).abs() < tol))
    }

    #[test]
    fn rpy_round_trip() {
        for &(r, p, y) in &[(0.1, 0.2, 0.3), (PI, 0.0, 0.0), (-2.0, 1.2, 3.0), (0.5, -1.5, -0.7)] {
            let m = rpy_to_mat(r, p, y);
            let (r2, p2, y2) = mat_to_rpy(&m);
            assert!(mat_close(&m, &rpy_to_mat(r2, p2, y2), 1e-12));
        }
    }

    #[test]
    fn rpy_gimbal_lock_round_trips() {
        let m = rpy_to_mat(0.4, PI / 2.0, 0.3);
        let (r, p, y) = mat_to_rpy(&m);
        assert_eq!(y, 0.0);
        assert!(mat_close(&m, &rpy_to_mat(r, p, y), 1e-9));
    }

    #[test]
    fn log_exp_round_trip() {
        for v in [
            [0.1, -0.2, 0.3],
            [0.0, 0.0, 0.0],
            [PI - 1e-8, 0.0, 0.0],
            [1.0, 1.0, 1.0],
        ] {
            let m = rot_exp(v);
            assert!(mat_close(&m, &rot_exp(rot_log(&m)), 1e-7));
        }
        let m = rot_x(PI);
        assert!(mat_close(&m, &rot_exp(rot_log(&m)), 1e-9));
    }

    #[test]
    fn wrap_angle_range() {
        assert_eq!(wrap_angle(-PI), PI);
        assert!((wrap_angle(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-12);
        assert_eq!(wrap_angle(-0.0), 0.0);
    }

    #[test]
    fn spd_solve() {
        let mut a: Square = [[0.0; MAX_N]; MAX_N];
        a[0][..2].copy_from_slice(&[4.0, 1.0]);
        a[1][..2].copy_from_slice(&[1.0, 3.0]);
        // Only the leading 2 x 2 block is read.
        a[5][5] = f64::NAN;
        let x = solve_spd(&a, &[1.0, 2.0]).unwrap_or_default();
        assert!((4.0 * x[0] + x[1] - 1.0).abs() < 1e-12);
        assert!((x[0] + 3.0 * x[1] - 2.0).abs() < 1e-12);
        let mut negative: Square = [[0.0; MAX_N]; MAX_N];
        negative[0][0] = -1.0;
        assert!(solve_spd(&negative, &[1.0]).is_none());
    }
}
