// Rotations from equatorial (ICRS/J2000) unit vectors to the frame a plate-carrée image is drawn in.

export type Frame = 'equatorial' | 'ecliptic' | 'galactic';

/** IAU 2006 obliquity of the ecliptic at J2000: 84381.406″. */
const OBLIQUITY = ((84381.406 / 3600) * Math.PI) / 180;
const COS_E = Math.cos(OBLIQUITY);
const SIN_E = Math.sin(OBLIQUITY);

/**
 * Equatorial → galactic: rows are the galactic x (towards l = 0, b = 0), y (l = 90°) and z (the IAU north
 * galactic pole, RA 192.85948°, Dec +27.12825°) axes in equatorial coordinates (the standard J2000 matrix).
 */
const GALACTIC = [
  [-0.0548755604162154, -0.873437090234885, -0.4838350155487132],
  [0.4941094278755837, -0.4448296299600112, 0.7469822444972189],
  [-0.8676661490190047, -0.1980763734312015, 0.4559837761750669],
] as const;

/** Rotate the equatorial vector (x, y, z) into `frame`, writing into out[0..2]. */
export function fromEquatorial(frame: Frame, x: number, y: number, z: number, out: Float64Array): void {
  switch (frame) {
    case 'equatorial':
      out[0] = x;
      out[1] = y;
      out[2] = z;
      return;
    case 'ecliptic':
      out[0] = x;
      out[1] = COS_E * y + SIN_E * z;
      out[2] = -SIN_E * y + COS_E * z;
      return;
    case 'galactic':
      for (let r = 0; r < 3; r++) out[r] = GALACTIC[r]![0] * x + GALACTIC[r]![1] * y + GALACTIC[r]![2] * z;
      return;
  }
}
