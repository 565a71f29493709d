"""Exact engine for a binding pair limit: successive shortest augmenting paths.

Min-cost flow on source -> mentee (1) -> mentor (capacity) -> sink with cost ``-weight``.
Each augmentation follows a cheapest source-sink path (Dijkstra on reduced costs with
Johnson potentials), so after ``k`` augmentations the flow is a best matching with exactly
``k`` pairs. Stopping at ``limit`` pairs (or when no path is left) therefore gives the
largest possible number of pairs up to the limit and, among those, the largest total weight.

Speed comes from goal-directed potentials: they start as minus the distance to the sink in
the empty flow (a mentee's best edge), so a search settles only the few nodes near the next
best path instead of the whole graph, and free mentees wait in one persistent heap instead
of being pushed again for every search. Arithmetic uses Python integers, so the result is
exact for any integer weights; ties are broken deterministically by node number.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence


def solve_with_limit(
    capacities: Sequence[int],
    edge_mentor: Sequence[int],
    edge_mentee: Sequence[int],
    weight: Sequence[int],
    n_mentees: int,
    limit: int,
) -> list[int]:
    """Return the chosen edge indices of a best matching with at most ``limit`` pairs."""
    n_mentors = len(capacities)
    n_edges = len(edge_mentor)
    # Nodes: mentees 0..N-1, mentors N..N+M-1, sink N+M; the source is implicit.
    sink = n_mentees + n_mentors
    out_of_mentee: list[list[int]] = [[] for _ in range(n_mentees)]
    for e in range(n_edges):
        out_of_mentee[edge_mentee[e]].append(e)
    cost = [-int(w) for w in weight]
    head = [n_mentees + int(i) for i in edge_mentor]
    # Reduced cost of arc u->v is cost + pot[u] - pot[v] >= 0. Start: mentors and sink 0,
    # mentee = her best weight, source = the best weight overall (distances to the sink).
    pot = [0] * (sink + 1)
    for j in range(n_mentees):
        if out_of_mentee[j]:
            pot[j] = max(-cost[e] for e in out_of_mentee[j])
    pot_source = max((pot[j] for j in range(n_mentees) if out_of_mentee[j]), default=0)
    used = [0] * n_mentors
    mentee_edge = [-1] * n_mentees  # matched edge of each mentee
    mentor_edges: list[set[int]] = [set() for _ in range(n_mentors)]
    # Free mentees keyed by -pot (their distance from the source is pot_source - pot).
    free_heap = [(-pot[j], j) for j in range(n_mentees) if out_of_mentee[j]]
    heapq.heapify(free_heap)
    pairs = 0
    inf = float("inf")
    while pairs < limit:
        dist: dict[int, int] = {}
        parent: dict[int, tuple[int, int]] = {}  # node -> (previous node or -1, edge or -1)
        heap: list[tuple[int, int]] = []
        settled: list[int] = []
        done: set[int] = set()
        taken_free: list[int] = []
        found = False
        while True:
            while free_heap and (mentee_edge[free_heap[0][1]] >= 0
                                 or -free_heap[0][0] != pot[free_heap[0][1]]):
                heapq.heappop(free_heap)  # matched meanwhile, or a stale key
            if free_heap and (not heap or pot_source + free_heap[0][0] <= heap[0][0]):
                key, u = heapq.heappop(free_heap)
                if u in done:  # a duplicate entry with an equal key
                    continue
                d = pot_source + key
                taken_free.append(u)
                dist[u] = d
                parent[u] = (-1, -1)
            elif heap:
                d, u = heapq.heappop(heap)
                if u in done or d > dist.get(u, inf):
                    continue
            else:
                break
            done.add(u)
            settled.append(u)
            if u == sink:
                found = True
                break
            if u < n_mentees:
                current = mentee_edge[u]
                for e in out_of_mentee[u]:
                    if e == current:
                        continue
                    v = head[e]
                    nd = d + cost[e] + pot[u] - pot[v]
                    if nd < dist.get(v, inf):
                        dist[v] = nd
                        parent[v] = (u, e)
                        heapq.heappush(heap, (nd, v))
            else:
                i = u - n_mentees
                for e in sorted(mentor_edges[i]):
                    v = edge_mentee[e]
                    nd = d - cost[e] + pot[u] - pot[v]
                    if nd < dist.get(v, inf):
                        dist[v] = nd
                        parent[v] = (u, e)
                        heapq.heappush(heap, (nd, v))
                if used[i] < capacities[i]:
                    nd = d + pot[u] - pot[sink]
                    if nd < dist.get(sink, inf):
                        dist[sink] = nd
                        parent[sink] = (u, -1)
                        heapq.heappush(heap, (nd, sink))
        if not found:
            break
        d_sink = dist[sink]
        # Johnson update on settled nodes only; shifting every potential by the same amount
        # changes no reduced cost, so the others keep theirs (the source is settled at 0).
        for v in settled:
            pot[v] += dist[v] - d_sink
        pot_source -= d_sink
        # Augment along the path, from the sink back to the free mentee it started from.
        node = sink
        prev, _ = parent[node]
        used[prev - n_mentees] += 1
        node = prev
        while True:
            prev, e = parent[node]
            if prev == -1:
                break
            if node >= n_mentees:  # mentor reached from mentee ``prev`` by a free edge
                mentee_edge[prev] = e
                mentor_edges[node - n_mentees].add(e)
            else:  # mentee ``node`` reached from a mentor by her matched edge: release it
                mentor_edges[prev - n_mentees].discard(e)
            node = prev
        for j in sorted(set(taken_free)):  # still free: back in with the new potential
            if mentee_edge[j] < 0:
                heapq.heappush(free_heap, (-pot[j], j))
        pairs += 1
    return sorted(mentee_edge[j] for j in range(n_mentees) if mentee_edge[j] >= 0)
