"""Signal charts: :mod:`~monitor.charts.render` draws a PNG from data (pure), and
:mod:`~monitor.charts.data` reads that data from the store, for ``firealarm chart`` and for
the charts alerts carry. matplotlib is imported only by ``render``, when a chart is drawn."""
