"""Routable networks per profile, held as arrays (CSR for the hot path).

A :class:`Network` is a simplified street graph in a metric CRS: nodes are junctions and
way ends (interstitial nodes are folded into edge geometries), each undirected *edge* is a
street segment between two nodes with its geometry, length and the directions the profile
may use it in. Directed arcs and compressed sparse row matrices are derived from it.
Only the largest strongly connected component is kept; what was dropped is counted.

``Network.to_networkx()`` gives an osmnx-compatible ``nx.MultiDiGraph`` for analysts and
exports (GraphML, GeoPackage); routing never goes through networkx.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from accessibility.crs import to_metric, to_wgs84
from accessibility.errors import EmptyNetworkError
from accessibility.osm import OsmData
from accessibility.profiles import Profile, resolve_profile, way_class
from accessibility.segment_grid import SegmentGrid

NETWORK_FORMAT_VERSION = 3  # 2: per-direction speeds, turn restrictions; 3: compact file
#: text columns stored as a table of distinct values and int32 codes (format 3): a road
#: name repeats along its edges, and fixed-width UTF-32 text was 59 % of the file
_TEXT = ("edge_highway", "edge_name")
#: index arrays stored as int32 when they fit (format 3), read back as int64
_INDEX = ("edge_u", "edge_v", "edge_geom_start", "edge_geom_end", "node_copy_of",
          "turn_tail", "turn_edge", "turn_head", "redirect_edge", "redirect_head")  # fmt: skip
#: the arrays of :attr:`Network.arcs`
_ARC_ARRAYS = ("tail", "head", "length_m", "travel_time_s", "edge", "forward")
MIN_ARC_WEIGHT = 1e-9  # scipy csgraph treats a 0 entry as "no arc": keep zero-length arcs


class TextColumn:
    """A text column held as its distinct values and one int32 code per row.

    A road name repeats along its edges: at a million edges the codes take 4 MB where
    fixed-width text took 250 MB. Reads like the text array it stands for (indexing,
    ``astype``, ``len``, ``np.asarray``).
    """

    __slots__ = ("codes", "values")

    def __init__(self, values: np.ndarray, codes: np.ndarray) -> None:
        self.values = np.asarray(values).astype(str)
        self.codes = np.asarray(codes, dtype=np.int32)

    @classmethod
    def of(cls, text: object) -> TextColumn:
        """Code a text array (or pass a :class:`TextColumn` through)."""
        if isinstance(text, TextColumn):
            return text
        values, codes = np.unique(np.asarray(text).astype(str), return_inverse=True)
        return cls(values, codes.reshape(-1))

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, index):
        return self.values[self.codes[index]]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        text = self.values[self.codes]
        return text if dtype is None else text.astype(dtype)

    def astype(self, dtype) -> np.ndarray:
        """Return the text as a plain array of ``dtype``."""
        return np.asarray(self, dtype=dtype)

    def copy(self) -> TextColumn:
        """Return an independent copy."""
        return TextColumn(self.values.copy(), self.codes.copy())

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the text (that of the distinct values)."""
        return self.values.dtype

    @property
    def shape(self) -> tuple[int]:
        """``(rows,)``."""
        return self.codes.shape

    @property
    def nbytes(self) -> int:
        """Bytes held (codes and distinct values)."""
        return self.codes.nbytes + self.values.nbytes


_EMPTY_F = np.zeros(0, dtype=np.float64)
_EMPTY_I = np.zeros(0, dtype=np.int64)
_EMPTY_B = np.zeros(0, dtype=bool)


@dataclass(frozen=True, eq=False)
class Network:
    """A routable street network for one profile (arrays; see module docstring)."""

    profile: str
    crs: str
    node_osmid: np.ndarray  # int64 [n]
    node_x: np.ndarray  # float64 [n], metres in ``crs``
    node_y: np.ndarray
    edge_u: np.ndarray  # int64 [m] node index
    edge_v: np.ndarray
    edge_length_m: np.ndarray  # float64 [m]
    edge_speed_kph: np.ndarray  # float64 [m]
    edge_forward: np.ndarray  # bool [m]: u -> v allowed
    edge_backward: np.ndarray  # bool [m]: v -> u allowed
    edge_way_id: np.ndarray  # int64 [m]
    edge_highway: TextColumn  # str [m] (any text array is coded on construction)
    edge_name: TextColumn  # str [m] ("" when unnamed)
    edge_geom_start: np.ndarray  # int64 [m] first index into coord_x/coord_y
    edge_geom_end: np.ndarray  # int64 [m] last index (inclusive)
    coord_x: np.ndarray  # float64 [k]
    coord_y: np.ndarray
    stats: dict[str, int] = field(default_factory=dict)
    # backward speed where it differs (a bike pushed against a one-way); empty: as forward
    edge_speed_backward_kph: np.ndarray = field(default_factory=lambda: _EMPTY_F)
    # turn restrictions (see accessibility.turns): the last len(node_copy_of) nodes are
    # copies of restricted junctions; arcs arriving along a restricted way are redirected
    # to a copy, and the copies have their own (filtered) arcs
    node_copy_of: np.ndarray = field(default_factory=lambda: _EMPTY_I)
    turn_tail: np.ndarray = field(default_factory=lambda: _EMPTY_I)  # copy node
    turn_edge: np.ndarray = field(default_factory=lambda: _EMPTY_I)
    turn_forward: np.ndarray = field(default_factory=lambda: _EMPTY_B)
    turn_head: np.ndarray = field(default_factory=lambda: _EMPTY_I)  # -1: the arc's own head
    redirect_edge: np.ndarray = field(default_factory=lambda: _EMPTY_I)
    redirect_forward: np.ndarray = field(default_factory=lambda: _EMPTY_B)
    redirect_head: np.ndarray = field(default_factory=lambda: _EMPTY_I)

    def __post_init__(self) -> None:
        for k in _TEXT:  # text is kept coded in memory, as in the file
            object.__setattr__(self, k, TextColumn.of(getattr(self, k)))

    # --- sizes and derived arrays ---------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_x)

    @property
    def n_junctions(self) -> int:
        """Number of nodes that are not copies of a restricted junction."""
        return len(self.node_x) - len(self.node_copy_of)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges (street segments between junctions)."""
        return len(self.edge_u)

    @cached_property
    def edge_time_s(self) -> np.ndarray:
        """Travel time of each edge in seconds (length / speed), direction ``u -> v``."""
        return self.edge_length_m / (self.edge_speed_kph / 3.6)

    @cached_property
    def edge_time_backward_s(self) -> np.ndarray:
        """Travel time of each edge in seconds, direction ``v -> u``.

        The same object as :attr:`edge_time_s` when no edge has a speed of its own backward.
        """
        back = self.edge_speed_backward_kph
        if len(back) == 0 or np.array_equal(back, self.edge_speed_kph):
            return self.edge_time_s
        return self.edge_length_m / (back / 3.6)

    def edge_time(self, edge: np.ndarray, forward: np.ndarray) -> np.ndarray:
        """Travel time (s) of whole edges in the given directions."""
        return np.where(forward, self.edge_time_s[edge], self.edge_time_backward_s[edge])

    @cached_property
    def arc_heads(self) -> tuple[np.ndarray, np.ndarray]:
        """Head of every edge's forward and backward arc (a junction copy where redirected).

        Arriving along a restricted way ends at a copy of the junction; everything that
        adds arcs along an edge (snapped points, isochrone sampling) ends them here.
        """
        if len(self.redirect_edge) == 0:  # nothing redirected: the edges' own ends (no copy)
            return self.edge_v, self.edge_u
        fwd, bwd = self.edge_v.copy(), self.edge_u.copy()
        rf = self.redirect_forward
        fwd[self.redirect_edge[rf]] = self.redirect_head[rf]
        bwd[self.redirect_edge[~rf]] = self.redirect_head[~rf]
        return fwd, bwd

    @property
    def arcs(self) -> dict[str, np.ndarray]:
        """Directed arcs: ``tail, head, length_m, travel_time_s, edge, forward``.

        The edges' arcs first (forward ones, then backward ones), then the arcs leaving
        the copies of restricted junctions. Computed at each use, not kept (41 bytes an
        arc): the CSR matrices built from them are what searches keep.
        """
        return self.arc_arrays(*_ARC_ARRAYS)

    def arc_arrays(self, *names: str) -> dict[str, np.ndarray]:
        """Return the named arrays of :attr:`arcs`, computing only those."""
        f = np.flatnonzero(self.edge_forward)
        b = np.flatnonzero(self.edge_backward)
        te, tf = self.turn_edge, self.turn_forward
        edge = np.concatenate([f, b, te])
        forward = np.concatenate([np.ones(len(f), bool), np.zeros(len(b), bool), tf])
        out = {}
        for name in names:
            if name == "tail":
                out[name] = np.concatenate([self.edge_u[f], self.edge_v[b], self.turn_tail])
            elif name == "head":
                hf, hb = self.arc_heads
                own = np.where(tf, hf[te], hb[te])
                heads = [hf[f], hb[b], np.where(self.turn_head >= 0, self.turn_head, own)]
                out[name] = np.concatenate(heads)
            elif name == "length_m":
                out[name] = self.edge_length_m[edge]
            elif name == "travel_time_s":
                out[name] = self.edge_time(edge, forward)
            elif name in ("edge", "forward"):
                out[name] = edge if name == "edge" else forward
            else:
                msg = f"unknown arc array {name!r}, expected one of {', '.join(_ARC_ARRAYS)}"
                raise KeyError(msg)
        return out

    @cached_property
    def copy_tails(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of restricted junctions that leave along an edge: ``copy, edge, forward``.

        Only arcs that end at the edge's own (possibly redirected) head: a copy in a via-way
        chain leads to the next copy instead, which only the whole edge reaches.
        """
        own = self.turn_head < 0
        return self.turn_tail[own], self.turn_edge[own], self.turn_forward[own]

    @property
    def n_arcs(self) -> int:
        """Number of directed arcs."""
        return int(self.edge_forward.sum() + self.edge_backward.sum()) + len(self.turn_edge)

    @cached_property
    def node_lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 lon/lat of the nodes."""
        return to_wgs84(self.node_x, self.node_y, self.crs)

    @cached_property
    def edge_lines(self) -> np.ndarray:
        """Shapely LineStrings of the edges (metric CRS), node u first."""
        return self._lines(self.coord_x, self.coord_y)

    def edge_lines_wgs84(self) -> np.ndarray:
        """Return the edges as WGS84 LineStrings, node u first.

        The coordinate arrays are reprojected at once: a province's roads in a fraction of a
        second, where ``GeoSeries.to_crs`` takes seconds.
        """
        return self._lines(*to_wgs84(self.coord_x, self.coord_y, self.crs))

    def _lines(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        import shapely

        counts = self.edge_geom_end - self.edge_geom_start + 1
        idx = np.repeat(self.edge_geom_start - np.r_[0, np.cumsum(counts)[:-1]], counts)
        idx = idx + np.arange(counts.sum())
        coords = np.column_stack([x[idx], y[idx]])
        return shapely.linestrings(coords, indices=np.repeat(np.arange(self.n_edges), counts))

    @cached_property
    def edge_index(self) -> SegmentGrid:
        """Grid of the edges' segments for nearest-edge snapping (no shapely geometries)."""
        return SegmentGrid(self.coord_x, self.coord_y, self.edge_geom_start, self.edge_geom_end)

    def csr(self, weight: str = "length_m", *, reverse: bool = False) -> sp.csr_matrix:
        """CSR matrix of the arcs, parallel arcs collapsed to the cheapest.

        Parameters
        ----------
        weight
            ``"length_m"`` or ``"travel_time_s"``.
        reverse
            Transpose (cost runs head -> tail): a search from facilities on the reversed
            graph gives every node its cost *to* the nearest facility.
        """
        a = self.arc_arrays("tail", "head", weight)
        return arcs_to_csr(a["tail"], a["head"], a[weight], self.n_nodes, reverse=reverse)

    # --- persistence ----------------------------------------------------------------------
    _ARRAYS = (
        "node_osmid",
        "node_x",
        "node_y",
        "edge_u",
        "edge_v",
        "edge_length_m",
        "edge_speed_kph",
        "edge_forward",
        "edge_backward",
        "edge_way_id",
        "edge_highway",
        "edge_name",
        "edge_geom_start",
        "edge_geom_end",
        "coord_x",
        "coord_y",
    )
    _OPTIONAL = (
        "edge_speed_backward_kph",
        "node_copy_of",
        "turn_tail",
        "turn_edge",
        "turn_forward",
        "turn_head",
        "redirect_edge",
        "redirect_forward",
        "redirect_head",
    )

    def save(self, path: str | Path) -> None:
        """Write the network to one ``.npz`` file (loads in milliseconds).

        Compact (format 3): text as distinct values plus int32 codes, index arrays as int32
        when they fit; :meth:`load` gives back the same arrays.
        """
        arrays = {k: getattr(self, k) for k in self._ARRAYS + self._OPTIONAL}
        for k in _TEXT:
            col = arrays.pop(k)
            arrays[f"{k}__values"], arrays[f"{k}__codes"] = col.values, col.codes
        for k in _INDEX:
            a = arrays[k]
            if len(a) == 0 or (a.min() >= 0 and a.max() < np.iinfo(np.int32).max):
                arrays[k] = a.astype(np.int32)
        meta = {
            "profile": self.profile,
            "crs": self.crs,
            "stats": self.stats,
            "format_version": NETWORK_FORMAT_VERSION,
        }
        with Path(path).open("wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def check_file(cls, path: str | Path) -> None:
        """Check that ``path`` is a network file with every array, without reading them.

        Raises
        ------
        OSError, ValueError
            When the file is missing, not an ``.npz`` archive, or lacks an array.
        """
        try:
            with Path(path).open("rb") as fh, np.load(fh, allow_pickle=False) as z:
                names = set(z.files)
        except zipfile.BadZipFile as exc:
            msg = f"{path}: not a network file ({exc})"
            raise ValueError(msg) from exc
        text = {k for k in _TEXT if f"{k}__codes" in names and f"{k}__values" in names}
        missing = [k for k in ("meta", *cls._ARRAYS) if k not in names and k not in text]
        if missing:
            msg = f"{path}: not a complete network file (missing {', '.join(missing)})"
            raise ValueError(msg)

    @classmethod
    def load(cls, path: str | Path) -> Network:
        """Read a network written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            # format 3 keeps text as distinct values and codes; format 2 the text itself
            text = {k: TextColumn(z[f"{k}__values"], z[f"{k}__codes"]) for k in _TEXT
                    if f"{k}__codes" in z.files}  # fmt: skip
            arrays = {k: text[k] if k in text else z[k] for k in cls._ARRAYS}
            arrays.update({k: z[k] for k in cls._OPTIONAL if k in z.files})
        for k in _INDEX:
            if k in arrays:
                arrays[k] = arrays[k].astype(np.int64)
        return cls(profile=meta["profile"], crs=meta["crs"], stats=meta.get("stats", {}), **arrays)

    # --- interop --------------------------------------------------------------------------
    def to_networkx(self, *, geometry: bool = True):
        """Return an osmnx-compatible ``nx.MultiDiGraph`` (projected; ``crs`` in graph attrs).

        Nodes are OSM node ids with ``x``, ``y`` (metres), ``lon``, ``lat``; edges carry
        ``osmid`` (way id), ``length`` (m), ``speed_kph``, ``travel_time`` (s), ``highway``,
        ``name``, ``oneway``, ``reversed`` and a shapely ``geometry``. Turn restrictions are
        not part of this node graph (the junction copies are left out).
        """
        import networkx as nx

        G = nx.MultiDiGraph(crs=self.crs, simplified=True, profile=self.profile)
        lon, lat = self.node_lonlat
        ids = self.node_osmid.tolist()
        G.add_nodes_from(
            (
                ids[i],
                {
                    "x": float(self.node_x[i]),
                    "y": float(self.node_y[i]),
                    "lon": float(lon[i]),
                    "lat": float(lat[i]),
                    "osmid": ids[i],
                },
            )
            for i in range(self.n_junctions)  # copies of restricted junctions are not exported
        )
        lines = self.edge_lines if geometry else None
        f = np.flatnonzero(self.edge_forward)
        b = np.flatnonzero(self.edge_backward)
        a = {
            "tail": np.concatenate([self.edge_u[f], self.edge_v[b]]),
            "head": np.concatenate([self.edge_v[f], self.edge_u[b]]),
            "edge": np.concatenate([f, b]),
            "forward": np.concatenate([np.ones(len(f), bool), np.zeros(len(b), bool)]),
        }
        tt = self.edge_time(a["edge"], a["forward"])
        for i, (tail, head, e, fwd) in enumerate(
            zip(a["tail"], a["head"], a["edge"], a["forward"], strict=True)
        ):
            oneway = not (self.edge_forward[e] and self.edge_backward[e])
            attrs = {
                "osmid": int(self.edge_way_id[e]),
                "length": float(self.edge_length_m[e]),
                "speed_kph": float(self.edge_speed_kph[e]),
                "travel_time": float(tt[i]),
                "highway": str(self.edge_highway[e]),
                "oneway": oneway,
                "reversed": not bool(fwd),
            }
            if self.edge_name[e]:
                attrs["name"] = str(self.edge_name[e])
            if lines is not None:
                g = lines[e]
                attrs["geometry"] = g if fwd else g.reverse()
            G.add_edge(ids[tail], ids[head], **attrs)
        return G


def arcs_to_csr(
    tail: np.ndarray, head: np.ndarray, weight: np.ndarray, n: int, *, reverse: bool = False
) -> sp.csr_matrix:
    """Build an ``n x n`` CSR matrix keeping the cheapest of parallel arcs.

    ``scipy.sparse`` (and ``nx.to_scipy_sparse_array``) would *sum* duplicate entries, which
    turns two parallel roads into one road as long as both: collapse them first.
    """
    if reverse:
        tail, head = head, tail
    return arcs_to_csr_multi(tail, head, [weight], n)[0]


def arcs_to_csr_multi(
    tail: np.ndarray, head: np.ndarray, weights: list[np.ndarray], n: int
) -> list[sp.csr_matrix]:
    """CSR matrices of several weights on the same arcs, sorting the arcs only once.

    Arcs are grouped by one int64 key ``tail * n + head`` (one argsort, not a three-key
    lexsort); each weight keeps its own cheapest parallel arc (``np.minimum.reduceat``).
    The CSR arrays are built directly, already sorted, without a COO detour.
    """
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    if len(tail) == 0:
        return [sp.csr_matrix((n, n), dtype=np.float64) for _ in weights]
    key = tail * np.int64(n) + head
    order = np.argsort(key, kind="stable")
    k = key[order]
    del key
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    starts = np.flatnonzero(first)
    uk = k[starts]
    rows = uk // n
    cols = (uk % n).astype(np.int32 if n < 2**31 else np.int64)
    indptr = np.zeros(n + 1, dtype=cols.dtype)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    out = []
    for weight in weights:
        w = np.maximum(np.asarray(weight, dtype=np.float64)[order], MIN_ARC_WEIGHT)
        data = np.minimum.reduceat(w, starts)
        m = sp.csr_matrix((data, cols, indptr), shape=(n, n))
        m.has_sorted_indices = True
        out.append(m)
    return out


def project_osm(osm: OsmData, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project the flat highway node coordinates of an extract to ``crs``."""
    return to_metric(osm.node_lon, osm.node_lat, crs)


def build_network(
    osm: OsmData,
    profile: str | Profile,
    *,
    crs: str,
    xy: tuple[np.ndarray, np.ndarray] | None = None,
    keep_largest_component: bool = True,
) -> Network:
    """Build the simplified network of ``profile`` from an extract (vectorised).

    Parameters
    ----------
    osm
        What :func:`accessibility.osm.read_osm` read.
    profile
        A :class:`~accessibility.profiles.Profile`, or the name of a bundled one (``car``,
        ``bike``, ``walk``).
    crs
        Metric CRS of the network (see :func:`accessibility.crs.choose_metric_crs`).
    xy
        The flat node coordinates already projected to ``crs`` (saves work when building
        several profiles).
    keep_largest_component
        Keep only the largest strongly connected component (default); the number of nodes
        and edges dropped is in ``stats``.

    Raises
    ------
    EmptyNetworkError
        When no way of the extract is usable by the profile.
    """
    prof = resolve_profile(profile)
    x_all, y_all = xy if xy is not None else project_osm(osm, crs)
    rules = [prof.way_rule(t) for t in osm.way_tags]
    sel = np.array([r is not None for r in rules], dtype=bool)
    if not sel.any():
        msg = f"{osm.path}: no road usable by profile {prof.name!r} in this extract"
        raise EmptyNetworkError(msg)
    ways = np.flatnonzero(sel)
    fwd_w = np.array([rules[i].forward for i in ways], dtype=bool)
    bwd_w = np.array([rules[i].backward for i in ways], dtype=bool)
    spd_w = np.array([rules[i].speed_kph for i in ways], dtype=np.float64)
    spd_back_w = np.array([rules[i].backward_speed_kph for i in ways], dtype=np.float64)
    dur_w = np.array([rules[i].duration_s or 0.0 for i in ways], dtype=np.float64)
    pen_w = np.array([rules[i].penalty_s for i in ways], dtype=np.float64)
    hw_w = np.array([way_class(osm.way_tags[i]) or "" for i in ways], dtype=object)
    nm_w = np.array([osm.way_tags[i].get("name", "") for i in ways], dtype=object)

    starts = osm.way_offsets[ways]
    lens = osm.way_offsets[ways + 1] - starts
    total = int(lens.sum())
    cum = np.r_[0, np.cumsum(lens)[:-1]]
    pos = np.repeat(starts - cum, lens) + np.arange(total)  # flat positions in osm arrays
    refs = osm.node_refs[pos]
    x, y = x_all[pos], y_all[pos]
    wi = np.repeat(np.arange(len(ways)), lens)
    first = np.zeros(total, dtype=bool)
    first[cum] = True
    last = np.zeros(total, dtype=bool)
    last[cum + lens - 1] = True

    _, inv, counts = np.unique(refs, return_inverse=True, return_counts=True)
    junction = (counts[inv] > 1) | first | last  # shared by two ways (or twice by one)
    blocked = _blocking_nodes(osm, prof)
    junction |= np.isin(refs, blocked)  # a barrier ends its edges: one may reach it
    jstart = junction & ~last
    seg = np.flatnonzero(~last)  # segment p -> p+1
    seg_len = np.hypot(x[seg + 1] - x[seg], y[seg + 1] - y[seg])
    eid_pos = np.cumsum(jstart) - 1
    seg_eid = eid_pos[seg]
    n_e = int(jstart.sum())
    e_len = np.bincount(seg_eid, weights=seg_len, minlength=n_e)
    e_nseg = np.bincount(seg_eid, minlength=n_e)
    e_start = np.flatnonzero(jstart)
    e_end = e_start + e_nseg
    e_way = wi[e_start]
    u_ref, v_ref = refs[e_start], refs[e_end]

    node_refs, node_first = np.unique(np.concatenate([u_ref, v_ref]), return_index=True)
    pos_uv = np.concatenate([e_start, e_end])[node_first]
    u = np.searchsorted(node_refs, u_ref)
    v = np.searchsorted(node_refs, v_ref)
    nx_, ny_ = x[pos_uv], y[pos_uv]
    e_fwd, e_bwd = fwd_w[e_way], bwd_w[e_way]

    spd_f, spd_b = _edge_speeds(e_len, e_way, spd_w, spd_back_w, dur_w, pen_w)
    stats = {"ways": len(ways), "nodes_total": len(node_refs), "edges_total": n_e}
    keep_nodes = np.ones(len(node_refs), dtype=bool)
    keep_e = np.ones(n_e, dtype=bool)
    if keep_largest_component:
        cut = np.isin(node_refs, blocked)
        keep_e = _largest_component(u, v, e_fwd, e_bwd, len(node_refs), cut)
        keep_nodes = np.zeros(len(node_refs), dtype=bool)
        keep_nodes[u[keep_e]] = keep_nodes[v[keep_e]] = True
    stats["nodes_dropped_outside_largest_component"] = int((~keep_nodes).sum())
    stats["edges_dropped_outside_largest_component"] = int((~keep_e).sum())
    new_index = np.cumsum(keep_nodes) - 1
    ke = np.flatnonzero(keep_e)
    net = Network(
        profile=prof.name,
        crs=crs,
        node_osmid=node_refs[keep_nodes],
        node_x=nx_[keep_nodes],
        node_y=ny_[keep_nodes],
        edge_u=new_index[u[ke]],
        edge_v=new_index[v[ke]],
        edge_length_m=e_len[ke],
        edge_speed_kph=spd_f[ke],
        edge_speed_backward_kph=spd_b[ke],
        edge_forward=e_fwd[ke],
        edge_backward=e_bwd[ke],
        edge_way_id=osm.way_ids[ways[e_way[ke]]],
        edge_highway=_coded(hw_w, e_way[ke]),
        edge_name=_coded(nm_w, e_way[ke]),
        edge_geom_start=e_start[ke],
        edge_geom_end=e_end[ke],
        coord_x=x,
        coord_y=y,
        stats=stats,
    )
    net = _with_turns(net, osm, prof, blocked)
    stats["nodes"] = net.n_junctions
    stats["edges"] = net.n_edges
    stats["arcs"] = net.n_arcs
    return net


def _coded(per_way: np.ndarray, way: np.ndarray) -> TextColumn:
    """Code the text of each edge's way (``per_way[way]``) without expanding it."""
    values, codes = np.unique(per_way.astype(str), return_inverse=True)
    return TextColumn(values, codes.reshape(-1)[way])


def _largest_component(u, v, fwd, bwd, n: int, cut: np.ndarray) -> np.ndarray:
    """Edges of the largest strongly connected component (a mask).

    A blocking barrier (``cut``) joins nothing: each edge end there is a node of its own, so
    a hamlet behind a bollard is not part of the car's network (its villages snap to a
    road the car can reach instead). One may still drive up to the barrier and turn back.
    """
    m = len(u)
    ends = np.arange(m)
    uu = np.where(cut[u], n + ends, u)
    vv = np.where(cut[v], n + m + ends, v)
    loops = uu == vv
    t = np.concatenate([uu[fwd & ~loops], vv[bwd & ~loops]])
    h = np.concatenate([vv[fwd & ~loops], uu[bwd & ~loops]])
    g = sp.csr_matrix((np.ones(len(t)), (t, h)), shape=(n + 2 * m,) * 2)
    _, labels = connected_components(g, directed=True, connection="strong")
    largest = np.bincount(labels).argmax()
    return (labels[uu] == largest) & (labels[vv] == largest)


def _edge_speeds(e_len, e_way, spd_w, spd_back_w, dur_w, pen_w) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward speed (km/h) of every edge from its way's rule.

    A way with a ``duration`` (a ferry) runs at its length over that time; a fixed penalty
    (boarding a ferry) is folded into the speeds of its edges, shared in proportion to their
    length, so the whole way takes ``length / speed + penalty``.
    """
    way_len = np.bincount(e_way, weights=e_len, minlength=len(spd_w))
    timed = (dur_w > 0) & (way_len > 0)
    spd_w, spd_back_w = spd_w.copy(), spd_back_w.copy()
    spd_w[timed] = spd_back_w[timed] = way_len[timed] / dur_w[timed] * 3.6
    out = []
    # the penalty is shared by the way's edges in proportion to length: once per whole way
    share = np.divide(e_len, way_len[e_way], out=np.ones_like(e_len), where=way_len[e_way] > 0)
    pen = pen_w[e_way] * share
    length = np.maximum(e_len, 1e-3)
    for spd in (spd_w[e_way], spd_back_w[e_way]):
        eff = length / (length / (spd / 3.6) + pen) * 3.6
        out.append(np.where(pen > 0, eff, spd))
    return out[0], out[1]


def _blocking_nodes(osm: OsmData, prof: Profile) -> np.ndarray:
    """Sorted ids of the nodes that stop ``prof`` (bollards, access=no; profile data)."""
    ids = [i for i, tags in osm.barriers.items() if prof.blocks(tags)]
    return np.unique(np.asarray(ids, dtype=np.int64))


def _with_turns(net: Network, osm: OsmData, prof: Profile, blocked: np.ndarray) -> Network:
    """Split the junctions that turn restrictions and barriers bind (accessibility.turns).

    A blocking barrier is a junction where every arrival may only turn back.
    """
    from accessibility import turns

    exempt = frozenset(prof.restriction_except)
    rules, counts = turns.resolve(net, osm.restrictions, prof.restrictions, exempt)
    for outcome, n in counts.items():
        net.stats[f"turn_restrictions_{outcome}"] = int(n)
    at = np.searchsorted(net.node_osmid, blocked)
    at = at[(at < net.n_nodes) & (net.node_osmid[np.minimum(at, net.n_nodes - 1)] == blocked)]
    net.stats["barriers_blocking"] = len(at)
    if prof.u_turns == "dead_ends" and rules:
        bans = turns.u_turn_rules(net, rules, at)
        net.stats["u_turn_bans"] = len(bans)
        rules += bans
    rules += turns.barrier_rules(net, at)
    tg = turns.split(net, rules) if rules else None
    turns.forget(net)  # the arc lookups are as large as the edges: not kept with the network
    if tg is None:
        return net
    copy_of = np.asarray(tg.copy_of, dtype=np.int64)
    net.stats["junction_copies"] = len(copy_of)
    keys_arr = np.asarray(tg.arc_key, dtype=np.int64)
    red = np.asarray(sorted(tg.redirect.items()), dtype=np.int64).reshape(-1, 2)
    return replace(
        net,
        node_osmid=np.concatenate([net.node_osmid, net.node_osmid[copy_of]]),
        node_x=np.concatenate([net.node_x, net.node_x[copy_of]]),
        node_y=np.concatenate([net.node_y, net.node_y[copy_of]]),
        node_copy_of=copy_of,
        turn_tail=np.asarray(tg.arc_tail, dtype=np.int64),
        turn_edge=keys_arr // 2,
        turn_forward=keys_arr % 2 == 0,
        turn_head=np.asarray(tg.arc_head, dtype=np.int64),
        redirect_edge=red[:, 0] // 2,
        redirect_forward=red[:, 0] % 2 == 0,
        redirect_head=red[:, 1],
    )
