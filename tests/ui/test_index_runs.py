from marginwatch.ui.index_runs import adjacent_runs


def test_adjacent_indices_become_one_run() -> None:
    assert adjacent_runs([1, 2, 3, 7, 9, 10]) == [(1, 3), (7, 7), (9, 10)]
    assert adjacent_runs(iter([0])) == [(0, 0)]
    assert adjacent_runs([]) == []
