"""`voicetour bench`: build a speech corpus, run the streaming core and the sequential baseline on
the same audio, write the report (corpus.py → pipelines.py → report.py; load.py for --sessions)."""
