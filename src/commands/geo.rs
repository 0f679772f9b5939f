//! Geospatial commands (Redis' geo.c). A geo index is an ordinary sorted
//! set whose scores are 52-bit geohashes (`types::geohash`), so every zset
//! command works on it and these commands only add the geometry:
//!
//! * GEOADD turns each (longitude, latitude, member) into a score and hands
//!   the result to ZADD, which Redis does by rewriting the command; it is
//!   therefore replicated as ZADD and publishes ZADD's `zadd` event;
//! * GEOPOS, GEOHASH and GEODIST decode scores;
//! * GEOSEARCH[STORE] and GEORADIUS[BYMEMBER][_RO] share one parser and one
//!   search (georadiusGeneric): scan the score ranges of the centre cell
//!   and its neighbours, keep the points inside the shape, sort, reply or
//!   store. The stored set publishes `geosearchstore` / `georadiusstore`.
//!
//! Distances go out with four decimals (addReplyDoubleDistance) as bulk
//! strings even in RESP3; coordinates as `%.17Lf` with trailing zeros
//! trimmed (addReplyHumanLongDouble), RESP3 doubles in RESP3.

use std::cmp::Ordering;

use bytes::Bytes;

use super::{lookup_read, Ctx, Handler};
use crate::config::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::errors::{CmdError, CmdResult};
use crate::net::reply::Reply;
use crate::types::geohash::{self, Shape, ShapeKind};
use crate::types::value::Value;
use crate::types::zset::{Limits, ScoreRange, ZSet};
use crate::util::number::{parse_f64, write_fixedpoint, LongDouble};

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("geoadd", geoadd),
    ("geodist", geodist),
    ("geohash", geohash),
    ("geopos", geopos),
    ("georadius", georadius),
    ("georadius_ro", georadius_ro),
    ("georadiusbymember", georadiusbymember),
    ("georadiusbymember_ro", georadiusbymember_ro),
    ("geosearch", geosearch),
    ("geosearchstore", geosearchstore),
];

const BAD_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";
const BAD_MEMBER: &str = "ERR could not decode requested zset member";

// ---------------------------------------------------------------- helpers

/// A longitude/latitude pair at argv[i], argv[i+1] (extractLongLatOrReply):
/// both must be floats, then inside the indexable limits.
fn arg_lon_lat(cx: &Ctx, i: usize) -> Result<(f64, f64), CmdError> {
    let lon = parse_f64(cx.arg(i)).ok_or(CmdError::NotFloat)?;
    let lat = parse_f64(cx.arg(i + 1)).ok_or(CmdError::NotFloat)?;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon)
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat)
    {
        // Redis prints both with %f; Rust's `{:.6}` rounds the same way.
        return Err(CmdError::owned(format!(
            "ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// Metres per unit (extractUnitOrReply).
fn arg_unit(cx: &Ctx, i: usize) -> Result<f64, CmdError> {
    let u = cx.arg(i);
    let meters = if u.eq_ignore_ascii_case(b"m") {
        1.0
    } else if u.eq_ignore_ascii_case(b"km") {
        1000.0
    } else if u.eq_ignore_ascii_case(b"ft") {
        0.3048
    } else if u.eq_ignore_ascii_case(b"mi") {
        1609.34
    } else {
        return Err(CmdError::msg(BAD_UNIT));
    };
    Ok(meters)
}

/// A float argument with the message getDoubleFromObjectOrReply gives for
/// a custom text.
fn arg_f64_or(cx: &Ctx, i: usize, msg: &'static str) -> Result<f64, CmdError> {
    parse_f64(cx.arg(i)).ok_or(CmdError::msg(msg))
}

/// `radius unit` at argv[i] (extractDistanceOrReply): (radius, metres per unit).
fn arg_radius(cx: &Ctx, i: usize) -> Result<(f64, f64), CmdError> {
    let r = arg_f64_or(cx, i, "ERR need numeric radius")?;
    if r < 0.0 {
        return Err(CmdError::msg("ERR radius cannot be negative"));
    }
    Ok((r, arg_unit(cx, i + 1)?))
}

/// `width height unit` at argv[i] (extractBoxOrReply).
fn arg_box(cx: &Ctx, i: usize) -> Result<(f64, f64, f64), CmdError> {
    let w = arg_f64_or(cx, i, "ERR need numeric width")?;
    let h = arg_f64_or(cx, i + 1, "ERR need numeric height")?;
    if h < 0.0 || w < 0.0 {
        return Err(CmdError::msg("ERR height or width cannot be negative"));
    }
    Ok((w, h, arg_unit(cx, i + 2)?))
}

/// A distance as Redis prints it: a bulk string with four decimals.
fn bulk_distance(r: &mut Reply, d: f64) {
    let mut buf = Vec::with_capacity(24);
    write_fixedpoint(&mut buf, d, 4);
    r.bulk(&buf);
}

/// A coordinate (addReplyHumanLongDouble): `%.17Lf` trimmed, as a bulk
/// string in RESP2 and a double in RESP3.
fn human_double(r: &mut Reply, x: f64) {
    let mut buf = Vec::with_capacity(32);
    LongDouble::from_f64(x).write_human(&mut buf);
    if r.resp3 {
        r.raw(b",");
        r.raw(&buf);
        r.raw(b"\r\n");
    } else {
        r.bulk(&buf);
    }
}

/// The zset under `key` for reading (lookupKeyRead + checkType); None when
/// absent. Only the existence is returned: the caller peeks again, so that
/// it may parse arguments in between.
fn lookup_zset(cx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    match lookup_read(cx.srv, cx.c.db, key) {
        Some(o) => {
            o.val.as_zset()?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The zset under `key` without touching stats or expiry (the caller has
/// looked it up already).
fn peek_zset<'a>(cx: &'a Ctx, key: &[u8]) -> Option<&'a ZSet> {
    cx.srv.dbs[cx.c.db]
        .keys
        .peek(key)
        .and_then(|o| o.val.as_zset().ok())
}

/// The position of a member (longLatFromMember).
fn member_pos(z: &ZSet, member: &[u8]) -> Option<(f64, f64)> {
    geohash::decode_score(z.score(member)?)
}

// ---------------------------------------------------------------- GEOADD

/// GEOADD key [NX|XX] [CH] lon lat member [...]: validated here, then run
/// as the equivalent ZADD, which is also what gets propagated.
pub fn geoadd(cx: &mut Ctx) -> CmdResult {
    let (mut nx, mut xx) = (false, false);
    let mut longidx = 2;
    while longidx < cx.argc() {
        if cx.arg_is(longidx, "nx") {
            nx = true;
        } else if cx.arg_is(longidx, "xx") {
            xx = true;
        } else if !cx.arg_is(longidx, "ch") {
            break;
        }
        longidx += 1;
    }
    if !(cx.argc() - longidx).is_multiple_of(3) || (xx && nx) {
        return Err(CmdError::Syntax);
    }
    let elements = (cx.argc() - longidx) / 3;
    let mut zargv: Vec<Bytes> = Vec::with_capacity(longidx + elements * 2);
    zargv.push(Bytes::from_static(b"zadd"));
    zargv.extend(cx.c.argv[1..longidx].iter().cloned());
    for i in 0..elements {
        let at = longidx + i * 3;
        let (lon, lat) = arg_lon_lat(cx, at)?;
        // In range, so the encode cannot fail; 0 keeps the type total.
        let score = geohash::score_of(lon, lat).unwrap_or(0);
        zargv.push(Bytes::from(score.to_string()));
        zargv.push(cx.arg_bytes(at + 2));
    }
    // ZADD reads the client's argv; the original comes back afterwards for
    // MONITOR and SLOWLOG, which show what the client sent.
    let original = std::mem::replace(&mut cx.c.argv, zargv);
    let res = super::zset::zadd(cx);
    let zargv = std::mem::replace(&mut cx.c.argv, original);
    if cx.propagating() {
        crate::persistence::propagate::set_rewrite(cx.srv, zargv);
    }
    res
}

// ---------------------------------------------------------------- point reads

/// GEODIST key m1 m2 [unit]: null unless both members exist.
pub fn geodist(cx: &mut Ctx) -> CmdResult {
    let to_meter = match cx.argc() {
        5 => arg_unit(cx, 4)?,
        n if n > 5 => return Err(CmdError::Syntax),
        _ => 1.0,
    };
    let key = cx.arg_bytes(1);
    if !lookup_zset(cx, &key)? {
        cx.c.reply().null();
        return Ok(());
    }
    let dist = peek_zset(cx, &key).and_then(|z| {
        let a = z.score(cx.arg(2))?;
        let b = z.score(cx.arg(3))?;
        let (x1, y1) = geohash::decode_score(a)?;
        let (x2, y2) = geohash::decode_score(b)?;
        Some(geohash::distance(x1, y1, x2, y2) / to_meter)
    });
    let mut r = cx.c.reply();
    match dist {
        Some(d) => bulk_distance(&mut r, d),
        None => r.null(),
    }
    Ok(())
}

/// GEOHASH key member...: the standard 11-character geohash of each
/// member, or null.
pub fn geohash(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let exists = lookup_zset(cx, &key)?;
    let hashes: Vec<Option<[u8; 11]>> = (2..cx.argc())
        .map(|i| {
            let z = peek_zset(cx, &key).filter(|_| exists)?;
            let (x, y) = member_pos(z, cx.arg(i))?;
            Some(geohash::standard_string(x, y))
        })
        .collect();
    let mut r = cx.c.reply();
    r.array_len(hashes.len());
    for h in hashes {
        match h {
            Some(s) => r.bulk(&s),
            None => r.null(),
        }
    }
    Ok(())
}

/// GEOPOS key member...: [longitude, latitude] of each member, or a null
/// array.
pub fn geopos(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let exists = lookup_zset(cx, &key)?;
    let positions: Vec<Option<(f64, f64)>> = (2..cx.argc())
        .map(|i| member_pos(peek_zset(cx, &key).filter(|_| exists)?, cx.arg(i)))
        .collect();
    let mut r = cx.c.reply();
    r.array_len(positions.len());
    for p in positions {
        match p {
            Some((x, y)) => {
                r.array_len(2);
                human_double(&mut r, x);
                human_double(&mut r, y);
            }
            None => r.null_array(),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- searches

/// Which command is parsing (georadiusGeneric's flags).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// GEORADIUS[_RO]: centre from lon lat, radius fixed at argv 4-5.
    Coords { store: bool },
    /// GEORADIUSBYMEMBER[_RO]: centre from a member, radius at argv 3-4.
    Member { store: bool },
    /// GEOSEARCH / GEOSEARCHSTORE: everything from keywords.
    Search { store: bool },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A point found by a search (geo.h's geoPoint).
struct GeoPoint {
    lon: f64,
    lat: f64,
    /// Metres until the reply divides by the unit.
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// Everything a search was asked (after georadiusGeneric's parsing).
struct Query {
    /// None for a missing key whose centre could not be resolved.
    shape: Option<Shape>,
    store_key: Option<Bytes>,
    store_dist: bool,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    any: bool,
    sort: Sort,
    /// 0 = unlimited.
    count: u64,
}

pub fn georadius(cx: &mut Ctx) -> CmdResult {
    search_generic(cx, 1, Variant::Coords { store: true })
}

pub fn georadius_ro(cx: &mut Ctx) -> CmdResult {
    search_generic(cx, 1, Variant::Coords { store: false })
}

pub fn georadiusbymember(cx: &mut Ctx) -> CmdResult {
    search_generic(cx, 1, Variant::Member { store: true })
}

pub fn georadiusbymember_ro(cx: &mut Ctx) -> CmdResult {
    search_generic(cx, 1, Variant::Member { store: false })
}

pub fn geosearch(cx: &mut Ctx) -> CmdResult {
    search_generic(cx, 1, Variant::Search { store: false })
}

pub fn geosearchstore(cx: &mut Ctx) -> CmdResult {
    search_generic(cx, 2, Variant::Search { store: true })
}

/// georadiusGeneric: parse (errors in Redis' order), search, then reply
/// or store.
fn search_generic(cx: &mut Ctx, src: usize, variant: Variant) -> CmdResult {
    let key = cx.arg_bytes(src);
    let exists = lookup_zset(cx, &key)?;
    let q = parse_query(cx, &key, exists, variant)?;
    let lim = Limits {
        max_entries: cx.srv.cfg.zset_max_listpack_entries,
        max_value: cx.srv.cfg.zset_max_listpack_value,
    };
    let (Some(shape), true) = (q.shape, exists) else {
        // A missing source: an empty reply, or an emptied destination.
        match &q.store_key {
            Some(dst) => store_result(cx, dst, Vec::new(), &q, variant, lim),
            None => cx.c.reply().array_len(0),
        }
        return Ok(());
    };
    let mut sort = q.sort;
    // COUNT needs the nearest N, hence an order (not so with ANY, which
    // takes the first N found).
    if q.count != 0 && sort == Sort::None && !q.any {
        sort = Sort::Asc;
    }
    let limit = if q.any { q.count } else { 0 };
    let mut found = match peek_zset(cx, &key) {
        Some(z) => collect_points(z, &shape, limit),
        None => Vec::new(),
    };
    if found.is_empty() && q.store_key.is_none() {
        cx.c.reply().array_len(0);
        return Ok(());
    }
    let returned = if q.count == 0 || (found.len() as u64) < q.count {
        found.len()
    } else {
        q.count as usize
    };
    sort_points(&mut found, sort, returned);
    found.truncate(returned);
    for p in &mut found {
        p.dist /= shape.conversion;
    }
    match &q.store_key {
        Some(dst) => store_result(cx, dst, found, &q, variant, lim),
        None => reply_points(&mut cx.c.reply(), &found, &q),
    }
    Ok(())
}

/// The argument half of georadiusGeneric. `exists`: whether the source key
/// holds a zset (members are only resolved then).
fn parse_query(cx: &Ctx, key: &[u8], exists: bool, variant: Variant) -> Result<Query, CmdError> {
    let mut q = Query {
        shape: None,
        store_key: None,
        store_dist: false,
        with_dist: false,
        with_hash: false,
        with_coord: false,
        any: false,
        sort: Sort::None,
        count: 0,
    };
    let zset = || peek_zset(cx, key).filter(|_| exists);
    let circle = |xy, (r, conversion)| Shape {
        xy,
        conversion,
        kind: ShapeKind::Radius(r),
    };
    let base = match variant {
        Variant::Coords { .. } => {
            let xy = arg_lon_lat(cx, 2)?;
            q.shape = Some(circle(xy, arg_radius(cx, 4)?));
            6
        }
        Variant::Member { .. } => {
            if let Some(z) = zset() {
                let xy = member_pos(z, cx.arg(2)).ok_or(CmdError::msg(BAD_MEMBER))?;
                q.shape = Some(circle(xy, arg_radius(cx, 3)?));
            }
            5
        }
        Variant::Search { store } => {
            if store {
                q.store_key = Some(cx.arg_bytes(1));
                3
            } else {
                2
            }
        }
    };
    let (store_ok, search, search_store) = match variant {
        Variant::Coords { store } | Variant::Member { store } => (store, false, false),
        Variant::Search { store } => (false, true, store),
    };
    // GEOSEARCH's centre and shape, filled as the keywords come.
    let mut center: Option<(f64, f64)> = None;
    let (mut from_member, mut from_loc) = (false, false);
    let mut kind: Option<(ShapeKind, f64)> = None;
    let (mut by_radius, mut by_box) = (false, false);

    let argc = cx.argc();
    let mut i = base;
    while i < argc {
        let left = argc - i - 1;
        let at = i;
        let is = |w: &str| cx.arg_is(at, w);
        if is("withdist") {
            q.with_dist = true;
        } else if is("withhash") {
            q.with_hash = true;
        } else if is("withcoord") {
            q.with_coord = true;
        } else if is("any") {
            q.any = true;
        } else if is("asc") {
            q.sort = Sort::Asc;
        } else if is("desc") {
            q.sort = Sort::Desc;
        } else if is("count") && left >= 1 {
            let n = cx.arg_i64(i + 1)?;
            if n <= 0 {
                return Err(CmdError::msg("ERR COUNT must be > 0"));
            }
            q.count = n as u64;
            i += 1;
        } else if (is("store") || is("storedist")) && left >= 1 && store_ok {
            q.store_key = Some(cx.arg_bytes(i + 1));
            q.store_dist = is("storedist");
            i += 1;
        } else if is("storedist") && search_store {
            q.store_dist = true;
        } else if is("frommember") && left >= 1 && search && !from_loc {
            // Without a source the member cannot be looked up: keep
            // parsing, the missing key decides the reply.
            if let Some(z) = zset() {
                center = Some(member_pos(z, cx.arg(i + 1)).ok_or(CmdError::msg(BAD_MEMBER))?);
            }
            from_member = true;
            i += 1;
        } else if is("fromlonlat") && left >= 2 && search && !from_member {
            center = Some(arg_lon_lat(cx, i + 1)?);
            from_loc = true;
            i += 2;
        } else if is("byradius") && left >= 2 && search && !by_box {
            let (r, conv) = arg_radius(cx, i + 1)?;
            kind = Some((ShapeKind::Radius(r), conv));
            by_radius = true;
            i += 2;
        } else if is("bybox") && left >= 3 && search && !by_radius {
            let (width, height, conv) = arg_box(cx, i + 1)?;
            kind = Some((ShapeKind::Box { width, height }, conv));
            by_box = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }

    if q.store_key.is_some() && (q.with_dist || q.with_hash || q.with_coord) {
        let who = if search_store {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CmdError::owned(format!(
            "ERR {who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    if search {
        // Redis names the command as the client spelled it.
        let name = String::from_utf8_lossy(cx.arg(0));
        if !(from_member || from_loc) {
            return Err(CmdError::owned(format!(
                "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
            )));
        }
        if !(by_radius || by_box) {
            return Err(CmdError::owned(format!(
                "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
            )));
        }
        if let (Some(xy), Some((kind, conversion))) = (center, kind) {
            q.shape = Some(Shape {
                xy,
                conversion,
                kind,
            });
        }
    }
    if q.any && q.count == 0 {
        return Err(CmdError::msg(
            "ERR the ANY argument requires COUNT argument",
        ));
    }
    Ok(q)
}

/// The points of `z` inside `shape` (membersOfAllNeighbors): the nine
/// cells in Redis' order, a cell equal to the last one scanned skipped
/// (huge radiuses make neighbours coincide). With `limit` (ANY) the scan
/// stops once that many were found.
fn collect_points(z: &ZSet, shape: &Shape, limit: u64) -> Vec<GeoPoint> {
    let area = geohash::areas_by_shape(shape);
    let cells = area.cells();
    let mut out = Vec::new();
    let mut last: Option<usize> = None;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Redis' "last processed" index starts at 0 meaning "none", so a
        // cell is never compared with the centre cell.
        if let Some(l) = last.filter(|&l| l != 0) {
            if cells[l] == *cell {
                continue;
            }
        }
        if limit_reached(&out, limit) {
            break;
        }
        let (min, max) = cell.score_range();
        points_in_range(z, min, max, shape, &mut out, limit);
        last = Some(i);
    }
    out
}

fn limit_reached(out: &[GeoPoint], limit: u64) -> bool {
    limit != 0 && !out.is_empty() && out.len() as u64 >= limit
}

/// Appends the points with scores in `[min, max)` that lie inside `shape`
/// (geoGetPointsInRange). With a limit the range is walked in small
/// chunks so that ANY stops early on a large set.
fn points_in_range(
    z: &ZSet,
    min: u64,
    max: u64,
    shape: &Shape,
    out: &mut Vec<GeoPoint>,
    limit: u64,
) {
    let range = ScoreRange {
        min: min as f64,
        max: max as f64,
        minex: false,
        maxex: true,
    };
    let (lo, hi) = z.score_ranks(&range);
    const CHUNK: usize = 64;
    let mut at = lo;
    while at < hi {
        let end = if limit == 0 { hi } else { hi.min(at + CHUNK) };
        let mut done = false;
        z.for_each_in(at, end, false, |member, score| {
            if done {
                return;
            }
            if let Some((lon, lat)) = geohash::decode_score(score) {
                if let Some(dist) = shape.contains(lon, lat) {
                    out.push(GeoPoint {
                        lon,
                        lat,
                        dist,
                        score,
                        member: member.to_vec(),
                    });
                }
            }
            done = limit_reached(out, limit);
        });
        if done {
            return;
        }
        at = end;
    }
}

/// Orders the points by distance the way Redis does, ties included: all
/// of them with glibc's qsort (a stable merge sort, `merge_sort`), or only
/// the first `keep` with Redis' partial quicksort (`pqsort`), whose order
/// of equal distances is its own. Points at the same spot are common, so
/// the exact algorithms matter for the reply order.
fn sort_points(points: &mut [GeoPoint], sort: Sort, keep: usize) {
    // sort_gp_asc: a NaN distance compares as "less" both ways, as in C.
    let asc = |a: &GeoPoint, b: &GeoPoint| {
        if a.dist > b.dist {
            Ordering::Greater
        } else if a.dist == b.dist {
            Ordering::Equal
        } else {
            Ordering::Less
        }
    };
    let cmp: &dyn Fn(&GeoPoint, &GeoPoint) -> Ordering = match sort {
        Sort::None => return,
        Sort::Asc => &asc,
        Sort::Desc => &|a, b| asc(a, b).reverse(),
    };
    if keep == 0 || keep >= points.len() {
        merge_sort(points, cmp);
    } else {
        pqsort(points, cmp, 0, keep - 1);
    }
}

/// glibc's msort: top-down merge sort splitting at n/2 and taking from the
/// left run on ties. Works on a permutation, then moves the items once.
/// Unlike `slice::sort_by` it accepts a comparator that is not a total
/// order (NaN distances) without panicking.
fn merge_sort<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    fn sort_ids<T>(
        v: &[T],
        ids: &mut [usize],
        tmp: &mut Vec<usize>,
        cmp: &dyn Fn(&T, &T) -> Ordering,
    ) {
        let n = ids.len();
        if n <= 1 {
            return;
        }
        let n1 = n / 2;
        sort_ids(v, &mut ids[..n1], tmp, cmp);
        sort_ids(v, &mut ids[n1..], tmp, cmp);
        tmp.clear();
        let (mut i, mut j) = (0, n1);
        while i < n1 && j < n {
            if cmp(&v[ids[i]], &v[ids[j]]) != Ordering::Greater {
                tmp.push(ids[i]);
                i += 1;
            } else {
                tmp.push(ids[j]);
                j += 1;
            }
        }
        tmp.extend_from_slice(&ids[i..n1]);
        let merged = tmp.len();
        ids[..merged].copy_from_slice(tmp);
    }
    let mut ids: Vec<usize> = (0..v.len()).collect();
    let mut tmp = Vec::with_capacity(v.len());
    sort_ids(v, &mut ids, &mut tmp, cmp);
    // Apply the permutation: position k receives the item at ids[k].
    let mut pos: Vec<usize> = (0..v.len()).collect(); // where each original item is now
    let mut at: Vec<usize> = (0..v.len()).collect(); // which original item is at each slot
    for k in 0..v.len() {
        let want = ids[k];
        let from = pos[want];
        if from != k {
            v.swap(k, from);
            let displaced = at[k];
            at[from] = displaced;
            pos[displaced] = from;
            at[k] = want;
            pos[want] = k;
        }
    }
}

/// Redis' pqsort (Bentley-McIlroy quicksort that only recurses into parts
/// overlapping the element range `lrange..=rrange`): afterwards that range
/// holds the items a full sort would put there.
fn pqsort<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering, lrange: usize, rrange: usize) {
    let n = v.len();
    pq_part(v, 0, n, cmp, lrange, rrange);
}

/// The median of three positions (med3).
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &dyn Fn(&T, &T) -> Ordering) -> usize {
    use Ordering::{Greater, Less};
    if cmp(&v[a], &v[b]) == Less {
        if cmp(&v[b], &v[c]) == Less {
            b
        } else if cmp(&v[a], &v[c]) == Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Greater {
        b
    } else if cmp(&v[a], &v[c]) == Less {
        a
    } else {
        c
    }
}

/// Sorts `v[a..a + n]` as far as the range needs (_pqsort).
fn pq_part<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &dyn Fn(&T, &T) -> Ordering,
    lrange: usize,
    rrange: usize,
) {
    use Ordering::{Equal, Greater, Less};
    // A part [s, e] is skipped when the range lies wholly before or after it.
    let wanted = |s: usize, e: usize| !((lrange < s && rrange < s) || (lrange > e && rrange > e));
    let swap_runs = |v: &mut [T], i: usize, j: usize, k: usize| {
        for t in 0..k {
            v.swap(i + t, j + t);
        }
    };
    loop {
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]) == Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Greater {
                    break;
                }
                if c == Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Less {
                    break;
                }
                if c == Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        swap_runs(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        swap_runs(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && wanted(a, a + r - 1) {
            pq_part(v, a, r, cmp, lrange, rrange);
        }
        let r = pd - pc;
        if r <= 1 {
            return;
        }
        a = pn - r;
        n = r;
        if !wanted(a, a + r - 1) {
            return;
        }
    }
}

/// The search reply: members alone, or arrays of member plus the asked
/// extras in Redis' order (distance, hash, coordinates).
fn reply_points(r: &mut Reply, points: &[GeoPoint], q: &Query) {
    let extras = usize::from(q.with_dist) + usize::from(q.with_hash) + usize::from(q.with_coord);
    r.array_len(points.len());
    for p in points {
        if extras > 0 {
            r.array_len(extras + 1);
        }
        r.bulk(&p.member);
        if q.with_dist {
            bulk_distance(r, p.dist);
        }
        if q.with_hash {
            r.int(geohash::c_double_to_i64(p.score));
        }
        if q.with_coord {
            r.array_len(2);
            human_double(r, p.lon);
            human_double(r, p.lat);
        }
    }
}

/// STORE / STOREDIST / GEOSEARCHSTORE: the points become a sorted set
/// (scores: geohash, or distance in the query's unit), replacing `dst`;
/// no points delete `dst`. Replies with the number stored.
fn store_result(
    cx: &mut Ctx,
    dst: &[u8],
    points: Vec<GeoPoint>,
    q: &Query,
    variant: Variant,
    lim: Limits,
) {
    let mut items: Vec<(Vec<u8>, f64)> = points
        .into_iter()
        .map(|p| (p.member, if q.store_dist { p.dist } else { p.score }))
        // A sorted set cannot hold NaN (Redis would assert here).
        .filter(|(_, s)| !s.is_nan())
        .collect();
    items.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    // Cells never overlap, so members are distinct; equal ones would sit
    // side by side with the same score.
    items.dedup_by(|a, b| a.0 == b.0);
    let n = items.len();
    if n > 0 {
        let z = ZSet::from_sorted(items, lim);
        cx.set_key(dst, Value::ZSet(z), false);
        let event = match variant {
            Variant::Search { .. } => "geosearchstore",
            _ => "georadiusstore",
        };
        cx.notify(NOTIFY_ZSET, event, dst);
        cx.srv.dirty += n as u64;
    } else if cx.srv.dbs[cx.c.db].delete(dst).is_some() {
        cx.modified(dst);
        cx.notify(NOTIFY_GENERIC, "del", dst);
        cx.srv.dirty += 1;
    }
    cx.c.reply().int(n as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` items with distances from a small LCG, few distinct values so
    /// that ties abound: (distance, original index).
    fn items(n: usize, modulo: u32) -> Vec<(f64, usize)> {
        let mut s: u32 = 12345;
        (0..n)
            .map(|i| {
                s = s.wrapping_mul(1103515245).wrapping_add(12345);
                (f64::from((s >> 16) % modulo), i)
            })
            .collect()
    }

    fn by_dist(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
        a.0.partial_cmp(&b.0).unwrap_or(Ordering::Less)
    }

    fn ids(v: &[(f64, usize)]) -> Vec<usize> {
        v.iter().map(|x| x.1).collect()
    }

    /// The orders come from Redis' own pqsort.c and glibc 2.36's qsort,
    /// compiled with a driver generating the same items.
    #[test]
    fn pqsort_orders_ties_like_redis() {
        let mut v = items(10, 4);
        pqsort(&mut v, &by_dist, 0, 2);
        assert_eq!(ids(&v), [1, 0, 9, 2, 5, 6, 3, 7, 4, 8]);

        let mut v = items(60, 7);
        pqsort(&mut v, &by_dist, 0, 4);
        assert_eq!(
            ids(&v),
            [
                22, 21, 12, 0, 55, 15, 52, 57, 18, 1, 51, 23, 5, 19, 46, 43, 39, 33, 26, 59, 4, 6,
                17, 20, 24, 25, 30, 47, 48, 29, 3, 31, 32, 14, 34, 35, 36, 37, 38, 13, 40, 41, 42,
                11, 44, 45, 10, 58, 2, 49, 50, 9, 8, 53, 54, 7, 56, 16, 27, 28
            ]
        );

        let mut v = items(100, 5);
        pqsort(&mut v, &by_dist, 0, 9);
        assert_eq!(
            ids(&v)[..20],
            [64, 44, 45, 5, 7, 8, 2, 86, 14, 17, 81, 80, 21, 26, 75, 65, 31, 43, 58, 35]
        );
    }

    #[test]
    fn pqsort_puts_the_smallest_first() {
        let mut v = items(500, 1000);
        let mut all = v.clone();
        all.sort_by(by_dist);
        pqsort(&mut v, &by_dist, 0, 49);
        let got: Vec<f64> = v[..50].iter().map(|x| x.0).collect();
        let want: Vec<f64> = all[..50].iter().map(|x| x.0).collect();
        assert_eq!(got, want);
        let mut back = ids(&v);
        back.sort_unstable();
        assert_eq!(back, (0..500).collect::<Vec<_>>());
    }

    #[test]
    fn merge_sort_is_stable_like_glibc_qsort() {
        let mut v = items(20, 3);
        merge_sort(&mut v, &by_dist);
        assert_eq!(
            ids(&v),
            [1, 2, 3, 4, 6, 11, 13, 14, 16, 18, 5, 7, 8, 10, 15, 17, 0, 9, 12, 19]
        );
        // A comparator that is no order at all must not panic.
        let mut w = items(100, 7);
        merge_sort(&mut w, &|_, _| Ordering::Less);
        pqsort(&mut w, &|_, _| Ordering::Less, 0, 3);
        assert_eq!(w.len(), 100);
    }
}
