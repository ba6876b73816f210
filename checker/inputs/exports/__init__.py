"""A force's CSV or spreadsheet export read through a field mapping (`mapping`): rows streamed with their
line (`tables`), each cell read as the case model expects (`cells`).
"""
