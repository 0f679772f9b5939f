//! Geo commands over the wire: GEOADD's scores, options and coordinate
//! errors; GEOPOS/GEOHASH/GEODIST formatting in RESP2 and RESP3; radius and
//! box searches (sorting, COUNT/ANY, WITH* extras, option errors); the
//! STORE forms with their keyspace events; GEOADD propagated as ZADD.
//! Mirrors Redis' geo.c and tests/unit/geo.tcl; every expected reply was
//! recorded from redis-server 7.0.15 (FERRODIS_TEST_SERVER checks it).

#[macro_use]
mod common;

use common::{events, Client, Resp, Server};

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

fn err(s: &str) -> Resp {
    Resp::err(s)
}

/// The Sicily set of Redis' documentation plus two points to the north.
fn sicily(c: &mut Client) {
    assert_eq!(
        c.cmd(&[
            "GEOADD",
            "Sicily",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
            "12.758489",
            "38.788135",
            "edge1",
            "17.241510",
            "38.788135",
            "edge2",
        ]),
        int(4)
    );
}

// ---------------------------------------------------------------------------
// GEOADD
// ---------------------------------------------------------------------------

#[test]
fn geoadd_stores_redis_52_bit_scores() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    sicily(&mut c);
    assert_eq!(
        c.cmd(&["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"]),
        Resp::bulks(&[
            "Palermo",
            "3479099956230698",
            "edge1",
            "3479273021651468",
            "Catania",
            "3479447370796909",
            "edge2",
            "3481342659049484",
        ])
    );
    // The corners of the indexable world.
    c.cmd(&[
        "GEOADD",
        "w",
        "180",
        "85.05112878",
        "ne",
        "-180",
        "-85.05112878",
        "sw",
    ]);
    assert_eq!(
        c.cmd(&["ZSCORE", "w", "ne"]),
        Resp::bulk("13510798882111488")
    );
    assert_eq!(c.cmd(&["ZSCORE", "w", "sw"]), Resp::bulk("0"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "w"]), Resp::bulk("listpack"));
}

#[test]
fn geoadd_nx_xx_ch_behave_like_zadd() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let lic = ["-73.9454966", "40.747533", "lic market"];
    let add = |c: &mut Client, opts: &[&str], pt: &[&str]| {
        let mut args = vec!["GEOADD", "nyc"];
        args.extend_from_slice(opts);
        args.extend_from_slice(pt);
        c.cmd(&args)
    };
    assert_eq!(add(&mut c, &[], &lic), int(1));
    assert_eq!(add(&mut c, &[], &lic), int(0));
    let moved = ["-83.9454966", "40.747533", "lic market"];
    assert_eq!(add(&mut c, &["CH"], &moved), int(1));
    assert_eq!(add(&mut c, &["NX"], &lic), int(0));
    assert_eq!(add(&mut c, &["CH", "NX"], &lic), int(0));
    assert_eq!(add(&mut c, &["xx", "ch"], &lic), int(1));
    assert_eq!(add(&mut c, &["XX"], &["1", "2", "other"]), int(0));
    assert_eq!(c.cmd(&["ZCARD", "nyc"]), int(1));
    assert_eq!(add(&mut c, &["XX", "NX"], &lic), err("ERR syntax error"));
    assert_eq!(
        add(&mut c, &["ch", "xx", "foo"], &lic),
        err("ERR syntax error")
    );
    // GT/LT are ZADD options, not GEOADD ones.
    assert_eq!(add(&mut c, &["GT"], &lic), err("ERR syntax error"));
    assert_eq!(add(&mut c, &["CH", "CH"], &["CH"]), err("ERR syntax error"));
}

#[test]
fn geoadd_rejects_bad_coordinates_before_adding_anything() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let cases: &[(&[&str], &str)] = &[
        (
            &["inf", "0"],
            "ERR invalid longitude,latitude pair inf,0.000000",
        ),
        (
            &["-inf", "0"],
            "ERR invalid longitude,latitude pair -inf,0.000000",
        ),
        (
            &["-180.0000001", "-85.5"],
            "ERR invalid longitude,latitude pair -180.000000,-85.500000",
        ),
        (
            &["0", "85.06"],
            "ERR invalid longitude,latitude pair 0.000000,85.060000",
        ),
        (&["nan", "0"], "ERR value is not a valid float"),
        (&["1e400", "0"], "ERR value is not a valid float"),
        (&[" 1", "0"], "ERR value is not a valid float"),
        (&["foo", "bar"], "ERR value is not a valid float"),
    ];
    for (pair, want) in cases {
        let mut args = vec!["GEOADD", "k", "1", "2", "good"];
        args.extend_from_slice(pair);
        args.push("bad");
        assert_eq!(c.cmd(&args), err(want), "{pair:?}");
    }
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
    assert_eq!(
        c.cmd(&["GEOADD", "k", "1", "2"]),
        err("ERR wrong number of arguments for 'geoadd' command")
    );
    c.cmd(&["SET", "s", "x"]);
    assert_eq!(
        c.cmd(&["GEOADD", "s", "1", "2", "m"]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

// ---------------------------------------------------------------------------
// GEOPOS, GEOHASH, GEODIST
// ---------------------------------------------------------------------------

#[test]
fn geopos_geohash_and_geodist_print_what_redis_prints() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    sicily(&mut c);
    c.cmd(&["GEOADD", "Sicily", "0", "0", "zero", "-5.6", "42.6", "wiki"]);
    assert_eq!(
        c.cmd(&["GEOPOS", "Sicily", "Palermo", "nope", "zero"]),
        Resp::arr(vec![
            Resp::bulks(&["13.36138933897018433", "38.11555639549629859"]),
            Resp::Array(None),
            Resp::bulks(&["0.00000268220901489", "0.00000126736058093"]),
        ])
    );
    assert_eq!(
        c.cmd(&["GEOHASH", "Sicily", "Palermo", "wiki", "nope", "zero"]),
        Resp::arr(vec![
            Resp::bulk("sqc8b49rny0"),
            Resp::bulk("ezs42e44yx0"),
            Resp::nil(),
            Resp::bulk("s0000000000"),
        ])
    );
    let dist = |c: &mut Client, unit: Option<&str>| {
        let mut args = vec!["GEODIST", "Sicily", "Palermo", "Catania"];
        args.extend(unit);
        c.cmd(&args)
    };
    assert_eq!(dist(&mut c, None), Resp::bulk("166274.1516"));
    assert_eq!(dist(&mut c, Some("km")), Resp::bulk("166.2742"));
    assert_eq!(dist(&mut c, Some("MI")), Resp::bulk("103.3182"));
    assert_eq!(dist(&mut c, Some("ft")), Resp::bulk("545518.8700"));
    assert_eq!(
        dist(&mut c, Some("yd")),
        err("ERR unsupported unit provided. please use M, KM, FT, MI")
    );
    assert_eq!(
        c.cmd(&["GEODIST", "Sicily", "Palermo", "Palermo"]),
        Resp::bulk("0.0000")
    );
    assert_eq!(c.cmd(&["GEODIST", "Sicily", "Palermo", "x"]), Resp::nil());
    assert_eq!(c.cmd(&["GEODIST", "none", "a", "b"]), Resp::nil());
    assert_eq!(
        c.cmd(&["GEODIST", "Sicily", "a", "b", "km", "x"]),
        err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["GEOPOS", "none", "a"]),
        Resp::arr(vec![Resp::Array(None)])
    );
    assert_eq!(
        c.cmd(&["GEOHASH", "none", "a"]),
        Resp::arr(vec![Resp::nil()])
    );
}

#[test]
fn resp3_sends_coordinates_as_doubles_and_distances_as_strings() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    sicily(&mut c);
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        c.cmd(&["GEOPOS", "Sicily", "Palermo", "nope"]),
        Resp::arr(vec![
            Resp::arr(vec![
                Resp::Double("13.36138933897018433".into()),
                Resp::Double("38.11555639549629859".into()),
            ]),
            Resp::Null,
        ])
    );
    assert_eq!(
        c.cmd(&["GEODIST", "Sicily", "Palermo", "Catania", "km"]),
        Resp::bulk("166.2742")
    );
    assert_eq!(c.cmd(&["GEODIST", "none", "a", "b"]), Resp::Null);
    assert_eq!(
        c.cmd(&[
            "GEORADIUS",
            "Sicily",
            "15",
            "37",
            "100",
            "km",
            "WITHDIST",
            "WITHHASH",
            "WITHCOORD"
        ]),
        Resp::arr(vec![Resp::arr(vec![
            Resp::bulk("Catania"),
            Resp::bulk("56.4413"),
            int(3479447370796909),
            Resp::arr(vec![
                Resp::Double("15.08726745843887329".into()),
                Resp::Double("37.50266842333162032".into()),
            ]),
        ])])
    );
}

/// Scores written with ZADD decode like Redis' C casts do.
#[test]
fn arbitrary_scores_decode_without_failing() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["ZADD", "weird", "-1", "neg", "1e300", "huge", "5", "small"]);
    assert_eq!(
        c.cmd(&["GEOPOS", "weird", "neg", "huge"]),
        Resp::arr(vec![
            Resp::bulks(&["180", "85.0511287799999991"]),
            Resp::bulks(&["-179.99999731779098511", "-85.05112751263942528"]),
        ])
    );
    assert_eq!(
        c.cmd(&["GEOHASH", "weird", "neg", "huge", "small"]),
        Resp::bulks(&["bp05b5048p0", "00bh0hbj200", "00bh0hbj240"])
    );
    assert_eq!(
        c.cmd(&["GEODIST", "weird", "neg", "huge"]),
        Resp::bulk("18919844.5891")
    );
}

// ---------------------------------------------------------------------------
// Searches
// ---------------------------------------------------------------------------

#[test]
fn searches_sort_count_and_add_extras_like_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    sicily(&mut c);
    assert_eq!(
        c.cmd(&[
            "GEORADIUS",
            "Sicily",
            "15",
            "37",
            "200",
            "km",
            "WITHDIST",
            "WITHCOORD",
            "WITHHASH",
            "ASC"
        ]),
        Resp::arr(vec![
            Resp::arr(vec![
                Resp::bulk("Catania"),
                Resp::bulk("56.4413"),
                int(3479447370796909),
                Resp::bulks(&["15.08726745843887329", "37.50266842333162032"]),
            ]),
            Resp::arr(vec![
                Resp::bulk("Palermo"),
                Resp::bulk("190.4424"),
                int(3479099956230698),
                Resp::bulks(&["13.36138933897018433", "38.11555639549629859"]),
            ]),
        ])
    );
    let pairs = |items: &[(&str, &str)]| {
        Resp::arr(items.iter().map(|(m, d)| Resp::bulks(&[m, d])).collect())
    };
    assert_eq!(
        c.cmd(&[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYBOX",
            "400",
            "400",
            "km",
            "DESC",
            "WITHDIST"
        ]),
        pairs(&[
            ("edge1", "279.7405"),
            ("edge2", "279.7403"),
            ("Palermo", "190.4424"),
            ("Catania", "56.4413"),
        ])
    );
    assert_eq!(
        c.cmd(&[
            "GEOSEARCH",
            "Sicily",
            "FROMMEMBER",
            "Palermo",
            "BYRADIUS",
            "100",
            "mi",
            "WITHDIST"
        ]),
        pairs(&[("Palermo", "0.0000"), ("edge1", "56.7939")])
    );
    assert_eq!(
        c.cmd(&[
            "GEORADIUSBYMEMBER",
            "Sicily",
            "Catania",
            "300",
            "km",
            "COUNT",
            "2",
            "DESC"
        ]),
        Resp::bulks(&["edge1", "edge2"])
    );
    // COUNT alone implies ASC; ANY takes the first found, unsorted.
    assert_eq!(
        c.cmd(&["GEORADIUS", "Sicily", "15", "37", "400", "km", "COUNT", "2"]),
        Resp::bulks(&["Catania", "Palermo"])
    );
    assert_eq!(
        c.cmd(&[
            "GEORADIUS",
            "Sicily",
            "15",
            "37",
            "400",
            "km",
            "COUNT",
            "2",
            "ANY"
        ]),
        Resp::bulks(&["Palermo", "edge1"])
    );
    assert_eq!(
        c.cmd(&["GEORADIUS_RO", "Sicily", "50", "37", "1", "km"]),
        Resp::arr(vec![])
    );
    assert_eq!(
        c.cmd(&["GEORADIUS", "none", "15", "37", "1", "km"]),
        Resp::arr(vec![])
    );
}

#[test]
fn search_option_errors_match_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    sicily(&mut c);
    let cases: &[(&[&str], &str)] = &[
        (&["GEORADIUS", "Sicily", "15", "37", "-1", "km"], "ERR radius cannot be negative"),
        (&["GEORADIUS", "Sicily", "15", "37", "x", "km"], "ERR need numeric radius"),
        (
            &["GEORADIUS", "Sicily", "15", "37", "1", "kmx"],
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        ),
        (
            &["GEORADIUS", "Sicily", "200", "37", "1", "km"],
            "ERR invalid longitude,latitude pair 200.000000,37.000000",
        ),
        (
            &["GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "0"],
            "ERR COUNT must be > 0",
        ),
        (
            &["GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "x"],
            "ERR value is not an integer or out of range",
        ),
        (&["GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT"], "ERR syntax error"),
        (
            &["GEORADIUS", "Sicily", "15", "37", "1", "km", "ANY"],
            "ERR the ANY argument requires COUNT argument",
        ),
        (&["GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE"], "ERR syntax error"),
        (
            &["GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE", "d", "WITHDIST"],
            "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        ),
        (
            &["GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STORE", "d"],
            "ERR syntax error",
        ),
        (
            &["GEORADIUSBYMEMBER", "Sicily", "nope", "1", "km"],
            "ERR could not decode requested zset member",
        ),
        (
            &["GEOSEARCH", "Sicily", "BYBOX", "1", "1", "km", "ASC"],
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH",
        ),
        (
            &["geosearch", "Sicily", "FROMLONLAT", "1", "1", "ASC", "WITHDIST"],
            "ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch",
        ),
        (
            &[
                "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS",
                "1", "km",
            ],
            "ERR syntax error",
        ),
        (
            &[
                "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1",
                "1", "km",
            ],
            "ERR syntax error",
        ),
        (
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km"],
            "ERR height or width cannot be negative",
        ),
        (
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "x", "1", "km"],
            "ERR need numeric width",
        ),
        (
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "x", "km"],
            "ERR need numeric height",
        ),
        (
            &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "STOREDIST"],
            "ERR syntax error",
        ),
        (
            &["GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"],
            "ERR could not decode requested zset member",
        ),
        (
            &[
                "GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km",
                "WITHDIST",
            ],
            "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        ),
        (
            &[
                "GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km",
                "STORE", "x",
            ],
            "ERR syntax error",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(c.cmd(args), err(want), "{args:?}");
    }
    c.cmd(&["SET", "s", "x"]);
    assert_eq!(
        c.cmd(&[
            "GEOSEARCH",
            "s",
            "FROMLONLAT",
            "0",
            "0",
            "BYRADIUS",
            "1",
            "km"
        ]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    // A missing source answers before its member or radius is looked at.
    assert_eq!(
        c.cmd(&["GEORADIUSBYMEMBER", "none", "m", "abc", "km"]),
        Resp::arr(vec![])
    );
    assert_eq!(
        c.cmd(&[
            "GEOSEARCH",
            "none",
            "FROMMEMBER",
            "m",
            "BYRADIUS",
            "1",
            "km"
        ]),
        Resp::arr(vec![])
    );
}

#[test]
fn huge_and_infinite_radiuses_find_everything_once() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    sicily(&mut c);
    c.cmd(&["GEOADD", "Sicily", "-179", "-80", "far"]);
    for r in ["20000", "inf"] {
        let got = c.cmd(&["GEORADIUS", "Sicily", "15", "37", r, "km", "ASC"]);
        assert_eq!(
            got,
            Resp::bulks(&["Catania", "Palermo", "edge2", "edge1", "far"]),
            "radius {r}"
        );
    }
}

/// Every point within the radius per GEODIST is found, on a set large
/// enough for the skiplist encoding, and ANY stops at COUNT.
#[test]
fn radius_search_agrees_with_geodist_on_a_large_set() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut args: Vec<String> = vec!["GEOADD".into(), "grid".into()];
    for i in 0..40 {
        for j in 0..40 {
            let lon = 10.0 + f64::from(i) * 0.05;
            let lat = 40.0 + f64::from(j) * 0.05;
            args.extend([lon.to_string(), lat.to_string(), format!("p{i}_{j}")]);
        }
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&refs), int(1600));
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "grid"]),
        Resp::bulk("skiplist")
    );
    let found = c
        .cmd(&[
            "GEOSEARCH",
            "grid",
            "FROMMEMBER",
            "p20_20",
            "BYRADIUS",
            "30",
            "km",
            "WITHDIST",
        ])
        .items();
    let mut within = 0;
    for i in 0..40 {
        for j in 0..40 {
            let d = c
                .cmd(&["GEODIST", "grid", "p20_20", &format!("p{i}_{j}"), "km"])
                .text();
            if d.parse::<f64>().unwrap() <= 30.0 {
                within += 1;
            }
        }
    }
    assert_eq!(found.len(), within);
    // ANY stops the scan at COUNT; plain COUNT returns the nearest.
    let any = c.cmd(&[
        "GEOSEARCH",
        "grid",
        "FROMMEMBER",
        "p20_20",
        "BYRADIUS",
        "30",
        "km",
        "COUNT",
        "5",
        "ANY",
    ]);
    assert_eq!(any.items().len(), 5);
    let nearest = c.cmd(&[
        "GEOSEARCH",
        "grid",
        "FROMMEMBER",
        "p20_20",
        "BYRADIUS",
        "30",
        "km",
        "COUNT",
        "1",
    ]);
    assert_eq!(nearest, Resp::bulks(&["p20_20"]));
}

/// Members at the same spot tie on distance: a full sort keeps them in
/// scan order (glibc's stable qsort), COUNT's partial sort (Redis' pqsort)
/// shuffles them its own way. Both orders are Redis'.
#[test]
fn equal_distances_come_out_in_redis_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut args = vec!["GEOADD", "dup"];
    let names = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"];
    for n in names {
        args.extend(["10", "45", n]);
    }
    args.extend(["10.01", "45", "b0", "10.01", "45", "b1", "10", "45", "a9"]);
    assert_eq!(c.cmd(&args), int(12));
    let search = |c: &mut Client, extra: &[&str]| {
        let mut a = vec![
            "GEOSEARCH",
            "dup",
            "FROMLONLAT",
            "10",
            "45",
            "BYRADIUS",
            "10",
            "km",
        ];
        a.extend_from_slice(extra);
        c.cmd(&a)
    };
    assert_eq!(
        search(&mut c, &["COUNT", "3"]),
        Resp::bulks(&["a0", "a1", "a2"])
    );
    assert_eq!(
        search(&mut c, &["COUNT", "11", "DESC"]),
        Resp::bulks(&["b0", "b1", "a2", "a3", "a4", "a5", "a0", "a7", "a8", "a9", "a6"])
    );
    assert_eq!(
        search(&mut c, &["DESC"]),
        Resp::bulks(&["b0", "b1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"])
    );
}

// ---------------------------------------------------------------------------
// STORE forms
// ---------------------------------------------------------------------------

#[test]
fn store_forms_write_a_zset_and_publish_redis_events() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    sicily(&mut c);
    let mut sub = events::subscriber(&srv, &mut c, "KEA");
    assert_eq!(
        c.cmd(&["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d"]),
        int(2)
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        Resp::bulks(&["Palermo", "3479099956230698", "Catania", "3479447370796909"])
    );
    assert_eq!(
        c.cmd(&[
            "GEORADIUS",
            "Sicily",
            "15",
            "37",
            "200",
            "km",
            "STOREDIST",
            "d"
        ]),
        int(2)
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        Resp::bulks(&[
            "Catania",
            "56.441257870158204",
            "Palermo",
            "190.44242984775784"
        ])
    );
    assert_eq!(
        c.cmd(&[
            "GEOSEARCHSTORE",
            "d2",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYBOX",
            "400",
            "400",
            "km",
            "COUNT",
            "1",
            "DESC",
            "STOREDIST"
        ]),
        int(1)
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "d2", "0", "-1", "WITHSCORES"]),
        Resp::bulks(&["edge1", "279.74045213563431"])
    );
    // Nothing found: the destination goes away.
    assert_eq!(
        c.cmd(&["GEORADIUS", "Sicily", "50", "37", "1", "km", "STORE", "d"]),
        int(0)
    );
    assert_eq!(
        c.cmd(&[
            "GEOSEARCHSTORE",
            "d2",
            "none",
            "FROMLONLAT",
            "1",
            "1",
            "BYRADIUS",
            "1",
            "m"
        ]),
        int(0)
    );
    assert_eq!(c.cmd(&["EXISTS", "d", "d2"]), int(0));
    assert_eq!(
        events::received(&mut sub, &mut c),
        events::both(
            0,
            &[
                ("georadiusstore", "d"),
                ("georadiusstore", "d"),
                ("geosearchstore", "d2"),
                ("del", "d"),
                ("del", "d2"),
            ]
        )
    );
    c.cmd(&["GEOADD", "Sicily", "1", "1", "x"]);
    assert_eq!(
        events::received(&mut sub, &mut c),
        events::both(0, &[("zadd", "Sicily")])
    );
}

#[test]
fn geoadd_is_propagated_as_zadd_and_monitored_as_sent() {
    let srv = Server::start(&["--appendonly", "yes"]);
    let mut c = srv.client();
    let mut m = srv.client();
    assert_eq!(m.cmd(&["MONITOR"]), Resp::ok());
    assert_eq!(
        c.cmd(&[
            "GEOADD",
            "k",
            "CH",
            "nx",
            "13.361389",
            "38.115556",
            "Palermo"
        ]),
        int(1)
    );
    assert_eq!(
        c.cmd(&["GEORADIUS", "k", "13", "38", "100", "km", "STORE", "d"]),
        int(1)
    );
    let line = m.read_reply().text();
    assert!(
        line.ends_with(r#""GEOADD" "k" "CH" "nx" "13.361389" "38.115556" "Palermo""#),
        "{line}"
    );
    let aof = srv.dir().join("appendonlydir/appendonly.aof.1.incr.aof");
    let want = "*6\r\n$4\r\nzadd\r\n$1\r\nk\r\n$2\r\nCH\r\n$2\r\nnx\r\n$16\r\n3479099956230698\r\n$7\r\nPalermo\r\n\
                *8\r\n$9\r\nGEORADIUS\r\n$1\r\nk\r\n$2\r\n13\r\n$2\r\n38\r\n$3\r\n100\r\n$2\r\nkm\r\n$5\r\nSTORE\r\n$1\r\nd\r\n";
    // Under everysec a write that finds the last fsync still running is
    // held back (up to 2 s, as in Redis): the reply does not wait for it.
    let mut text = String::new();
    let written = common::wait_for(std::time::Duration::from_secs(5), || {
        text = std::fs::read_to_string(&aof).unwrap_or_default();
        text.ends_with(want)
    });
    assert!(written, "{text:?}");
    // INFO counts the call as GEOADD, not ZADD.
    let stats = c.cmd(&["INFO", "commandstats"]).text();
    assert!(stats.contains("cmdstat_geoadd:calls=1,"), "{stats}");
    assert!(!stats.contains("cmdstat_zadd"), "{stats}");
}
