//! Geohash arithmetic behind the GEO commands (Redis' geohash.c and
//! geohash_helper.c): a point (longitude, latitude) becomes a 52-bit
//! integer that is stored as the member's sorted-set score, so that a
//! square of the grid is one contiguous range of scores.
//!
//! ```text
//! score = interleave(lat_cell, lon_cell)   26 bits each, 52 in all
//!   bit 2i   : bit i of the latitude cell  (latitude -85.05112878..85.05112878)
//!   bit 2i+1 : bit i of the longitude cell (longitude -180..180)
//! ```
//!
//! A cell at step `s` (s bits per axis) covers every score that shares its
//! top 2s bits: `[hash << (52 - 2s), (hash + 1) << (52 - 2s))`. A radius or
//! box query picks a step from the search size, then scans the cell of the
//! centre and its eight neighbours and filters by exact distance.
//!
//! Everything here is plain `f64` arithmetic done in the same order as
//! Redis does it (and with the same libm calls), because GEOPOS, GEODIST
//! and the search results must match Redis to the last printed digit.
//! Nothing here imports the server.

/// 26 bits per axis: the precision of a stored score.
pub const STEP_MAX: u8 = 26;
/// The Web-Mercator latitude limits: a point past them cannot be indexed.
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Earth's quadratic mean radius for WGS-84, the radius Redis measures with.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
/// Half the Mercator world width in metres, the start of the step estimate.
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians the way Redis' `deg_rad` computes it (M_PI / 180).
const D_R: f64 = std::f64::consts::PI / 180.0;

/// A closed interval of one coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    fn is_zero(&self) -> bool {
        self.min == 0.0 && self.max == 0.0
    }
}

/// The ranges the stored scores use.
pub const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
pub const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A cell: `step` bits per axis, interleaved into the low 2*step bits.
/// The all-zero value (bits 0, step 0) means "no cell" (a neighbour the
/// search dropped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The cell's first score at full precision (geohashAlign52Bits).
    pub fn align52(&self) -> u64 {
        let shift = 52u32.saturating_sub(2 * u32::from(self.step));
        self.bits.checked_shl(shift).unwrap_or(0)
    }

    /// The scores `[min, max)` of every point inside the cell
    /// (scoresOfGeoHashBox).
    pub fn score_range(&self) -> (u64, u64) {
        let next = HashBits {
            bits: self.bits.wrapping_add(1),
            step: self.step,
        };
        (self.align52(), next.align52())
    }
}

/// The rectangle a cell covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub hash: HashBits,
    pub longitude: Range,
    pub latitude: Range,
}

/// Spreads the low 32 bits of `x` over the even bits and those of `y`
/// over the odd bits.
fn interleave64(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(x) | (spread(y) << 1)
}

/// The inverse of `interleave64`: even bits in the low half of the
/// result, odd bits in the high half.
fn deinterleave64(v: u64) -> u64 {
    fn squeeze(v: u64) -> u64 {
        let mut v = v & 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
    }
    squeeze(v) | (squeeze(v >> 1) << 32)
}

/// C's truncating conversion of a double to `uint32_t` for the values an
/// encoder produces (0 ..= 2^32); anything else cannot occur here.
fn trunc_u32(x: f64) -> u32 {
    x as u32
}

/// The cell of `step` bits per axis holding the point, on the given
/// coordinate ranges (geohashEncode). None for a point outside Redis'
/// indexable limits or the ranges, or a step outside 1..=32.
pub fn encode(
    long_range: Range,
    lat_range: Range,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<HashBits> {
    if step == 0 || step > 32 || lat_range.is_zero() || long_range.is_zero() {
        return None;
    }
    // Redis compares against its global limits first, whatever the ranges.
    // (NaN never comes this far: argument parsing refuses it.)
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < long_range.min
        || longitude > long_range.max
    {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min) * cells;
    let long_offset = (longitude - long_range.min) / (long_range.max - long_range.min) * cells;
    Some(HashBits {
        bits: interleave64(trunc_u32(lat_offset), trunc_u32(long_offset)),
        step,
    })
}

/// `encode` on the ranges of stored scores (geohashEncodeWGS84).
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<HashBits> {
    encode(LONG_RANGE, LAT_RANGE, longitude, latitude, step)
}

/// The rectangle of a cell (geohashDecode). None for the zero cell.
pub fn decode(long_range: Range, lat_range: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() || lat_range.is_zero() || long_range.is_zero() {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let ilat = sep as u32;
    let ilon = (sep >> 32) as u32;
    let cells = 1u64.checked_shl(u32::from(hash.step)).unwrap_or(0) as f64;
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    // `ilat + 1` is 32-bit arithmetic in Redis, so it wraps the same way.
    let edge = |i: u32, min: f64, scale: f64| min + (f64::from(i) * 1.0 / cells) * scale;
    Some(Area {
        hash,
        latitude: Range {
            min: edge(ilat, lat_range.min, lat_scale),
            max: edge(ilat.wrapping_add(1), lat_range.min, lat_scale),
        },
        longitude: Range {
            min: edge(ilon, long_range.min, long_scale),
            max: edge(ilon.wrapping_add(1), long_range.min, long_scale),
        },
    })
}

/// `decode` on the ranges of stored scores.
pub fn decode_wgs84(hash: HashBits) -> Option<Area> {
    decode(LONG_RANGE, LAT_RANGE, hash)
}

/// The centre of a cell, clamped to the indexable limits
/// (geohashDecodeAreaToLongLat): what GEOPOS reports.
pub fn area_center(area: &Area) -> (f64, f64) {
    let lon = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// C's `(uint64_t)` cast of a double as x86-64 code performs it: values
/// from 2^63 up are converted after subtracting 2^63; anything the
/// hardware cannot convert (NaN, out of range) gives 2^63 before that
/// adjustment. Scores a user stored with ZADD can be anything.
pub fn c_double_to_u64(d: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if d >= TWO_63 {
        (c_double_to_i64(d - TWO_63) as u64) ^ (1 << 63)
    } else {
        c_double_to_i64(d) as u64
    }
}

/// C's `(long long)` cast of a double on x86-64 (cvttsd2si): truncation,
/// and i64::MIN for NaN or anything out of range.
pub fn c_double_to_i64(d: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    // The range test is false for NaN too.
    if !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// The position a sorted-set score stands for (decodeGeohash): the centre
/// of its full-precision cell. Always Some for the scores GEOADD writes.
pub fn decode_score(score: f64) -> Option<(f64, f64)> {
    let hash = HashBits {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    decode_wgs84(hash).map(|a| area_center(&a))
}

/// The score GEOADD stores for a point (encode at full precision, then
/// align to 52 bits). None when the point cannot be indexed.
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(|h| h.align52())
}

/// GEOHASH's 11-character string: the point re-encoded on the standard
/// geohash ranges (latitude -90..90, where scores use ±85.05), in the
/// usual base-32 alphabet. 52 bits fill ten characters; the eleventh is
/// always '0'.
pub fn standard_string(longitude: f64, latitude: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let std_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    // A decoded point is always inside both sets of ranges; the zero
    // fallback is Redis' behaviour on a failed encode (bits left at 0).
    let bits = encode(LONG_RANGE, std_lat, longitude, latitude, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().take(10).enumerate() {
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    out
}

/// The eight cells around a cell, plus the cell itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Neighbors {
    pub north: HashBits,
    pub south: HashBits,
    pub east: HashBits,
    pub west: HashBits,
    pub north_east: HashBits,
    pub north_west: HashBits,
    pub south_east: HashBits,
    pub south_west: HashBits,
}

/// Mask of the low `2 * step` bits of `pattern` (0x55.. or 0xaa..).
fn step_mask(pattern: u64, step: u8) -> u64 {
    pattern
        .checked_shr(64u32.saturating_sub(2 * u32::from(step)))
        .unwrap_or(0)
}

/// Moves a cell one column east (`d` > 0) or west (`d` < 0), wrapping
/// around the antimeridian (geohash_move_x). Longitude bits are the odd ones.
fn move_x(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = hash.bits & 0x5555_5555_5555_5555;
    // Filling the other axis' bits with ones lets a plain add/subtract
    // carry straight through them.
    let zz = step_mask(0x5555_5555_5555_5555, hash.step);
    if d > 0 {
        x = x.wrapping_add(zz.wrapping_add(1));
    } else {
        x |= zz;
        x = x.wrapping_sub(zz.wrapping_add(1));
    }
    x &= step_mask(0xaaaa_aaaa_aaaa_aaaa, hash.step);
    hash.bits = x | y;
}

/// Moves a cell one row north (`d` > 0) or south (geohash_move_y).
fn move_y(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = hash.bits & 0x5555_5555_5555_5555;
    let zz = step_mask(0xaaaa_aaaa_aaaa_aaaa, hash.step);
    if d > 0 {
        y = y.wrapping_add(zz.wrapping_add(1));
    } else {
        y |= zz;
        y = y.wrapping_sub(zz.wrapping_add(1));
    }
    y &= step_mask(0x5555_5555_5555_5555, hash.step);
    hash.bits = x | y;
}

/// The eight neighbouring cells of the same step (geohashNeighbors).
pub fn neighbors(hash: &HashBits) -> Neighbors {
    let moved = |dx: i8, dy: i8| {
        let mut h = *hash;
        move_x(&mut h, dx);
        move_y(&mut h, dy);
        h
    };
    Neighbors {
        east: moved(1, 0),
        west: moved(-1, 0),
        south: moved(0, -1),
        north: moved(0, 1),
        north_west: moved(-1, 1),
        north_east: moved(1, 1),
        south_east: moved(1, -1),
        south_west: moved(-1, -1),
    }
}

/// The step whose cells are about as big as the search
/// (geohashEstimateStepsByRadius): double the range until it passes half
/// the world, then take two steps back, and one or two more near the
/// poles where cells get narrow. Framed to 1..=26.
pub fn estimate_steps_by_radius(range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return STEP_MAX;
    }
    let mut range = range_m;
    let mut step: i32 = 1;
    // The doubling passes MERCATOR_MAX within ~1100 rounds even for the
    // tiniest positive range; the cap only guards against a negative one,
    // which callers never pass.
    while range < MERCATOR_MAX && step < 1200 {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// What a search looks for: a circle or an axis-aligned box, around a
/// centre, in a unit of `conversion` metres (geohash.h's GeoShape).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// (longitude, latitude) of the centre.
    pub xy: (f64, f64),
    /// Metres per unit of `kind`'s sizes.
    pub conversion: f64,
    pub kind: ShapeKind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ShapeKind {
    Radius(f64),
    Box { width: f64, height: f64 },
}

impl Shape {
    /// The bounding box [min_lon, min_lat, max_lon, max_lat] of the shape
    /// (geohashBoundingBox). East-west extent is taken at the edge nearer
    /// the pole, where a degree of longitude is shortest.
    pub fn bounding_box(&self) -> [f64; 4] {
        let (longitude, latitude) = self.xy;
        let (half_h, half_w) = match self.kind {
            ShapeKind::Radius(r) => (r, r),
            ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_h;
        let width = self.conversion * half_w;
        let lat_delta = (height / EARTH_RADIUS_M) / D_R;
        let long_delta_top = (width / EARTH_RADIUS_M / ((latitude + lat_delta) * D_R).cos()) / D_R;
        let long_delta_bottom =
            (width / EARTH_RADIUS_M / ((latitude - lat_delta) * D_R).cos()) / D_R;
        let long_delta = if latitude < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            longitude - long_delta,
            latitude - lat_delta,
            longitude + long_delta,
            latitude + lat_delta,
        ]
    }

    /// The distance from the centre to the farthest point of the shape in
    /// metres (the radius, or the half diagonal of the box).
    fn reach_m(&self) -> f64 {
        let r = match self.kind {
            ShapeKind::Radius(r) => r,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }

    /// The point's distance from the centre in metres when it lies inside
    /// the shape (geoWithinShape after the decode), else None.
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        let (x1, y1) = self.xy;
        match self.kind {
            ShapeKind::Radius(r) => {
                let d = distance(x1, y1, lon, lat);
                // Written as Redis tests it, so a NaN distance (rounding
                // at antipodes) counts as inside, as there.
                if d > r * self.conversion {
                    None
                } else {
                    Some(d)
                }
            }
            ShapeKind::Box { width, height } => distance_if_in_rectangle(
                width * self.conversion,
                height * self.conversion,
                x1,
                y1,
                lon,
                lat,
            ),
        }
    }
}

/// The cells a search scans: the centre cell first, then north, south,
/// east, west, north-east, north-west, south-east, south-west, as Redis
/// visits them. Dropped cells are zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchArea {
    pub hash: HashBits,
    pub neighbors: Neighbors,
    pub area: Area,
}

impl SearchArea {
    /// The nine cells in Redis' scan order.
    pub fn cells(&self) -> [HashBits; 9] {
        let n = &self.neighbors;
        [
            self.hash,
            n.north,
            n.south,
            n.east,
            n.west,
            n.north_east,
            n.north_west,
            n.south_east,
            n.south_west,
        ]
    }
}

/// The centre's cell and those of its neighbours worth scanning for a
/// shape (geohashCalculateAreasByShapeWGS84):
/// 1. estimate a step from the shape's reach;
/// 2. go one step coarser if a neighbour does not reach the bounding box
///    edge (the centre sits near its cell's border);
/// 3. drop neighbours on sides the bounding box does not reach.
pub fn areas_by_shape(shape: &Shape) -> SearchArea {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounding_box();
    let (longitude, latitude) = shape.xy;
    let mut steps = estimate_steps_by_radius(shape.reach_m(), latitude);
    // The centre was validated by the caller; a failed encode leaves the
    // zero-bit cell of that step, as Redis' does.
    let cell = |steps: u8| {
        let hash = encode_wgs84(longitude, latitude, steps).unwrap_or(HashBits {
            bits: 0,
            step: steps,
        });
        let area = decode_wgs84(hash).unwrap_or(Area {
            hash,
            longitude: Range { min: 0.0, max: 0.0 },
            latitude: Range { min: 0.0, max: 0.0 },
        });
        (hash, neighbors(&hash), area)
    };
    let (mut hash, mut nb, mut area) = cell(steps);

    let edge = |h: HashBits| decode_wgs84(h).map(|a| (a.longitude, a.latitude));
    let too_close = match (edge(nb.north), edge(nb.south), edge(nb.east), edge(nb.west)) {
        (Some(n), Some(s), Some(e), Some(w)) => {
            n.1.max < max_lat || s.1.min > min_lat || e.0.max < max_lon || w.0.min > min_lon
        }
        _ => false,
    };
    if steps > 1 && too_close {
        steps -= 1;
        (hash, nb, area) = cell(steps);
    }

    if steps >= 2 {
        let zero = HashBits::default();
        if area.latitude.min < min_lat {
            nb.south = zero;
            nb.south_west = zero;
            nb.south_east = zero;
        }
        if area.latitude.max > max_lat {
            nb.north = zero;
            nb.north_east = zero;
            nb.north_west = zero;
        }
        if area.longitude.min < min_lon {
            nb.west = zero;
            nb.south_west = zero;
            nb.north_west = zero;
        }
        if area.longitude.max > max_lon {
            nb.east = zero;
            nb.south_east = zero;
            nb.north_east = zero;
        }
    }
    SearchArea {
        hash,
        neighbors: nb,
        area,
    }
}

/// The north-south distance between two latitudes in metres
/// (geohashGetLatDistance).
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * ((lat2 * D_R) - (lat1 * D_R)).abs()
}

/// Great-circle distance in metres by the haversine formula
/// (geohashGetDistance); same longitudes take the cheaper meridian path.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = lon1 * D_R;
    let lon2r = lon2 * D_R;
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = lat1 * D_R;
    let lat2r = lat2 * D_R;
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// The distance from the box centre (x1, y1) to (x2, y2) when the point is
/// inside the `width_m` x `height_m` box (geohashGetDistanceIfInRectangle).
/// The east-west test is measured along the point's own parallel.
pub fn distance_if_in_rectangle(
    width_m: f64,
    height_m: f64,
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
) -> Option<f64> {
    if lat_distance(y2, y1) > height_m / 2.0 {
        return None;
    }
    if distance(x2, y2, x1, y2) > width_m / 2.0 {
        return None;
    }
    Some(distance(x1, y1, x2, y2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (longitude, latitude, score) from redis-server 7.0.15:
    /// GEOADD k lon lat m, then ZSCORE k m.
    const SCORES: &[(f64, f64, u64)] = &[
        (13.361389, 38.115556, 3479099956230698),
        (15.087269, 37.502669, 3479447370796909),
        (-5.6, 42.6, 2157242200379188),
        (0.0, 0.0, 3377699720527872),
        (180.0, 85.05112878, 13510798882111488),
        (-180.0, -85.05112878, 0),
        (-73.9454966, 40.747533, 1791875804419201),
        (-74.0131604, 40.7126674, 1791873972053020),
        (-73.7858139, 40.6428986, 1791895905559723),
    ];

    #[test]
    fn scores_match_redis() {
        for &(lon, lat, want) in SCORES {
            assert_eq!(score_of(lon, lat), Some(want), "{lon},{lat}");
        }
    }

    #[test]
    fn points_outside_the_limits_do_not_encode() {
        assert_eq!(score_of(180.0000001, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
        assert_eq!(score_of(f64::INFINITY, 0.0), None);
        assert_eq!(encode_wgs84(0.0, 0.0, 0), None);
        assert_eq!(encode_wgs84(0.0, 0.0, 33), None);
    }

    /// GEOPOS as redis-server 7.0.15 prints it (%.17Lf, zeros trimmed).
    #[test]
    fn decoded_positions_match_redis() {
        let text = |x: f64| {
            let mut out = Vec::new();
            crate::util::number::LongDouble::from_f64(x).write_human(&mut out);
            String::from_utf8(out).unwrap()
        };
        let cases: &[(u64, &str, &str)] = &[
            (
                3479099956230698,
                "13.36138933897018433",
                "38.11555639549629859",
            ),
            (
                3377699720527872,
                "0.00000268220901489",
                "0.00000126736058093",
            ),
            (13510798882111488, "180", "85.0511287799999991"),
            (0, "-179.99999731779098511", "-85.05112751263942528"),
        ];
        for &(score, lon, lat) in cases {
            let (x, y) = decode_score(score as f64).unwrap();
            assert_eq!((text(x).as_str(), text(y).as_str()), (lon, lat), "{score}");
        }
    }

    #[test]
    fn geohash_strings_match_redis() {
        let cases: &[(u64, &[u8; 11])] = &[
            (3479099956230698, b"sqc8b49rny0"),
            (2157242200379188, b"ezs42e44yx0"),
            (3377699720527872, b"s0000000000"),
            (13510798882111488, b"bp05b5048p0"),
            (0, b"00bh0hbj200"),
        ];
        for &(score, want) in cases {
            let (x, y) = decode_score(score as f64).unwrap();
            assert_eq!(&standard_string(x, y), want, "{score}");
        }
    }

    /// GEODIST Palermo Catania: 166274.1516 m (redis-server 7.0.15).
    #[test]
    fn distance_matches_redis() {
        let (x1, y1) = decode_score(3479099956230698.0).unwrap();
        let (x2, y2) = decode_score(3479447370796909.0).unwrap();
        let d = distance(x1, y1, x2, y2);
        let mut out = Vec::new();
        crate::util::number::write_fixedpoint(&mut out, d, 4);
        assert_eq!(out, b"166274.1516");
        out.clear();
        crate::util::number::write_fixedpoint(&mut out, d / 1609.34, 4);
        assert_eq!(out, b"103.3182");
        assert_eq!(distance(x1, y1, x1, y1), 0.0);
    }

    #[test]
    fn interleave_round_trips() {
        for &(a, b) in &[
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0xdead_beef, 0x1234_5678),
            (u32::MAX, 7),
        ] {
            let v = interleave64(a, b);
            let s = deinterleave64(v);
            assert_eq!((s as u32, (s >> 32) as u32), (a, b));
        }
        assert_eq!(interleave64(1, 0), 1);
        assert_eq!(interleave64(0, 1), 2);
    }

    #[test]
    fn neighbours_step_one_cell_and_wrap() {
        let h = encode_wgs84(0.0, 0.0, 4).unwrap();
        let n = neighbors(&h);
        let a = decode_wgs84(h).unwrap();
        let east = decode_wgs84(n.east).unwrap();
        let north = decode_wgs84(n.north).unwrap();
        assert_eq!(east.longitude.min, a.longitude.max);
        assert_eq!(east.latitude, a.latitude);
        assert_eq!(north.latitude.min, a.latitude.max);
        assert_eq!(north.longitude, a.longitude);
        // The westernmost column's west neighbour is the easternmost one.
        let w = encode_wgs84(-179.9, 0.0, 4).unwrap();
        let west = decode_wgs84(neighbors(&w).west).unwrap();
        assert_eq!(west.longitude.max, 180.0);
    }

    #[test]
    fn step_estimates() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        // 1000 m doubles 15 times to pass 20037726 m: 1 + 15 - 2.
        assert_eq!(estimate_steps_by_radius(1000.0, 0.0), 14);
        assert_eq!(estimate_steps_by_radius(1000.0, 70.0), 13);
        assert_eq!(estimate_steps_by_radius(1000.0, -85.0), 12);
        assert_eq!(estimate_steps_by_radius(5.0e7, 0.0), 1);
        assert_eq!(estimate_steps_by_radius(f64::INFINITY, 0.0), 1);
        assert_eq!(estimate_steps_by_radius(f64::MIN_POSITIVE, 0.0), 26);
    }

    #[test]
    fn c_casts_follow_x86() {
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(f64::NAN), 1 << 63);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(1e19), 10_000_000_000_000_000_000);
        assert_eq!(c_double_to_i64(1e19), i64::MIN);
        assert_eq!(c_double_to_i64(-2.9), -2);
    }

    #[test]
    fn shapes_contain_their_centre() {
        let s = Shape {
            xy: (13.361389, 38.115556),
            conversion: 1000.0,
            kind: ShapeKind::Radius(1.0),
        };
        assert_eq!(s.contains(13.361389, 38.115556), Some(0.0));
        assert_eq!(s.contains(15.087269, 37.502669), None);
        let b = Shape {
            kind: ShapeKind::Box {
                width: 400.0,
                height: 400.0,
            },
            ..s
        };
        assert!(b.contains(15.087269, 37.502669).is_some());
        let area = areas_by_shape(&s);
        assert!(area.cells().iter().any(|c| !c.is_zero()));
    }
}
