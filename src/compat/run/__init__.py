"""The run path of a cell: selection, scheduling, evidence, the journal and the job."""
