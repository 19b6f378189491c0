"""OGC API - Features (Parts 1 and 3) over the layer catalogue: parameters, CQL2,
SQL and the JSON documents. ``api/routes/ogc.py`` only translates HTTP to these.
"""
