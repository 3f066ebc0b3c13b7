"""The export formats' names, apart from their writers (`scanner.export.WRITERS`): the
CLI lists them in its help without loading pandas and the dataset."""

EXPORT_FORMATS = ("csv", "xlsx", "sav", "dta", "parquet", "qdpx")
