"""Drawing a random sample of case files from a population, repeatably, with a manifest.

Inspection samples must be random and repeatable: anyone with the population
file and the seed must get the same files. The choices that make that true:

- **Order.** Records are put in `case_id` order (Python's code-point string
  order) before drawing, so the draw does not depend on the order in which the
  force's system exported them. (Input order is kept for the sample *file*.)
- **Algorithm** (`random-key-v1`). A `random.Random(seed)` gives every eligible
  record, in `case_id` order, one number from `random()`; a simple random
  sample is the `size` records with the smallest numbers (without
  replacement: a record is taken at most once). Only `Random(int)` seeding and
  `random()` are used because they are the parts of Python's generator whose
  output the Python documentation promises will not change between versions
  (`Random.sample` builds on `randbelow`, which carries no such promise). The
  numbers are given to the whole eligible population once; a stratified sample
  takes, in each stratum, the `min(per_stratum, stratum size)` records with the
  smallest numbers. Strata are listed in sorted order of their value.
- **Strata.** The stratum of a record is the value at a dotted path of the case
  model as written in the file (`outcome.code`, `crime.offence.code`); a
  missing or null value is the stratum "(not recorded)".
- **Invalid records.** A record that fails the case-file schema (or repeats a
  case_id) cannot be normalised, filtered with `where` or scored by `check`, so
  it is excluded from the population. It is not dropped silently: the manifest
  counts and lists each one (position, line, case_id, reason) and the command
  line prints the count, so the auditor can judge whether the exclusions bias
  the frame.
- **Filter.** `where` is a CEL expression over the normalised record, bound as
  `case` exactly as in rules (with the same date helpers). Records for which
  it cannot be evaluated make the draw fail with an error naming them: the
  auditor must make the filter say what to do with such records, e.g.
  `case.outcome != null && case.outcome.code == "16"`.
- **Seed.** Without one, a seed is chosen with `secrets.randbelow(10**9)` (nine
  digits, easy to copy) and returned so it can be printed and recorded.

The manifest written beside the sample (`<output>.manifest.json`) records all of
the above, the population file's sha256 and the drawn case ids, so
`verify_manifest` can redraw and check that the same files come out.
"""

from __future__ import annotations

import gzip
import json
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from pathlib import Path
from typing import Any

from checker.sidefiles import MAX_MANIFEST_BYTES, SideFileError, load_json_side_file
from checker import TOOL_NAME, __version__
from checker.inputs.recordmodel import RecordModel, is_list_field, record_model, value_at
from checker.inputs.records import CaseIds, CaseRecord, Rejection, check_record, file_sha256
from checker.errors import EmptyInputError, InputError
from checker.inputs.sources import CaseSource, find_record_type, format_from_name, open_source
from checker.outputs import write_output
from checker.engine.evaluate import EvaluationError
from checker.engine.selectors import SelectorError, compile_selector
from checker.schemaerrors import suggestion
from checker.settings import RunSettings
from checker.inputs.timestamps import DEFAULT_TIMEZONE

MANIFEST_VERSION = 1
ALGORITHM = "random-key-v1"
ALGORITHM_DESCRIPTION = (
    "random.Random(seed).random() drawn once for each eligible record in case_id order; "
    "simple: the `size` records with the smallest numbers; stratified: in each stratum, "
    "the min(per_stratum, stratum size) records with the smallest numbers"
)
SIMPLE, STRATIFIED = "simple", "stratified"
NOT_RECORDED = "(not recorded)"
SEED_LIMIT = 10**9
MAX_LISTED_ERRORS = 10


class SampleError(ValueError):
    """The sample cannot be drawn as asked; the message says what is expected."""


@dataclass(frozen=True)
class Population:
    """The records of a population file that can be sampled, and those that cannot."""

    path: Path
    sha256: str
    records: tuple[CaseRecord, ...]  # valid records, in input order
    excluded: tuple[Rejection, ...]  # invalid records, in input order
    timezone: str = DEFAULT_TIMEZONE
    input_format: str = "json"
    mapping: Any = None  # the field mapping of a CSV/xlsx export
    model: RecordModel = field(default_factory=record_model)  # the type of record it holds

    @property
    def records_read(self) -> int:
        return len(self.records) + len(self.excluded)


@dataclass(frozen=True)
class Stratum:
    value: str
    population: int  # eligible records in the stratum
    case_ids: tuple[str, ...]  # sampled, in case_id order

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "population": self.population, "sample": len(self.case_ids),
                "case_ids": list(self.case_ids)}


@dataclass(frozen=True)
class Sample:
    seed: int
    method: str  # SIMPLE or STRATIFIED
    size: int | None
    stratify_by: str | None
    per_stratum: int | None
    where: str | None
    eligible: int  # population size: valid records that pass `where`
    filtered_out: int  # valid records that `where` left out
    records: tuple[CaseRecord, ...]  # sampled, in input order
    strata: tuple[Stratum, ...] = field(default=())  # stratified only

    @property
    def case_ids(self) -> list[str]:
        """Sampled case ids in case_id order."""
        return sorted(record.case_id for record in self.records)


def read_population(population: CaseSource | Path | str, timezone: str = DEFAULT_TIMEZONE) -> Population:
    """Read a population in any input form (a `CaseSource`: JSON, JSON Lines, gzip, standard input, a
    mapped CSV/xlsx export; a path is opened by its name). InputError (located) when it cannot be read,
    EmptyInputError when it holds no case file."""
    source = population if isinstance(population, CaseSource) else open_source(population)
    model = record_model(find_record_type(source).name)
    ids = CaseIds()
    valid: list[CaseRecord] = []
    excluded: list[Rejection] = []
    for raw in source.records():
        item = check_record(raw, timezone, model)
        item = ids.check(item) if isinstance(item, CaseRecord) else item
        if isinstance(item, Rejection):
            excluded.append(item)
        else:
            valid.append(item)
    if not valid and not excluded:
        raise EmptyInputError(source.path, model.kind.plural)
    return Population(path=Path(source.path), sha256=source.sha256 or "", records=tuple(valid),
                      excluded=tuple(excluded), timezone=timezone, input_format=source.input_format,
                      mapping=source.mapping, model=model)


def new_seed() -> int:
    """A fresh seed from the operating system's generator, short enough to copy by hand."""
    return secrets.randbelow(SEED_LIMIT)


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SampleError(f"seed {seed!r} is not valid: give a whole number of 0 or more, e.g. --seed 20250117")
    return seed


def draw_sample(records: Sequence[CaseRecord], *, size: int | None = None, seed: int | None = None,
                stratify_by: str | None = None, per_stratum: int | None = None, where: str | None = None,
                timezone: str = DEFAULT_TIMEZONE, model: RecordModel | None = None) -> Sample:
    """Draw a simple random sample (`size`) or a stratified one (`stratify_by` with `per_stratum`).

    `records` are valid, normalised records of `model`'s type (see `read_population`; default: case
    files); `timezone` is the zone the `where` date helpers use. The result is the same for the
    same seed and records whatever their order.
    """
    model = model or record_model()
    method = _check_design(size, stratify_by, per_stratum, model)
    seed = new_seed() if seed is None else check_seed(seed)
    _check_unique_ids(records)
    eligible = filter_records(records, where, timezone, model) if where else list(records)
    if not eligible:
        raise SampleError("no records to sample from: the population is empty"
                          + (" after the --where filter" if where else ""))
    keys = random_keys(eligible, seed)
    if method == SIMPLE:
        assert size is not None
        if size > len(eligible):
            raise SampleError(f"asked for {size} files but the population has only {len(eligible)} "
                              f"eligible record(s){' after the --where filter' if where else ''}: "
                              "give a smaller --size")
        chosen = set(smallest_keys([record.case_id for record in eligible], keys, size))
        strata: tuple[Stratum, ...] = ()
    else:
        assert stratify_by is not None and per_stratum is not None
        groups = group_by_stratum(eligible, stratify_by)
        strata = tuple(Stratum(value, len(ids), tuple(sorted(smallest_keys(ids, keys, per_stratum))))
                       for value, ids in groups.items())
        chosen = {case_id for stratum in strata for case_id in stratum.case_ids}
    sampled = tuple(sorted((r for r in eligible if r.case_id in chosen), key=lambda r: r.index))
    return Sample(seed=seed, method=method, size=size, stratify_by=stratify_by, per_stratum=per_stratum,
                  where=where, eligible=len(eligible), filtered_out=len(records) - len(eligible),
                  records=sampled, strata=strata)


def _check_design(size: int | None, stratify_by: str | None, per_stratum: int | None, model: RecordModel) -> str:
    """SIMPLE or STRATIFIED, or a SampleError saying which options go together."""
    if stratify_by is None and per_stratum is None:
        if size is None:
            raise SampleError("give --size N for a simple random sample, "
                              "or --stratify-by PATH with --per-stratum K for a stratified one")
        _check_count("--size", size)
        return SIMPLE
    if size is not None:
        raise SampleError("--size is for a simple random sample; a stratified sample takes --per-stratum K "
                          "files from each stratum: give one or the other")
    if stratify_by is None or per_stratum is None:
        raise SampleError("a stratified sample needs both --stratify-by PATH (e.g. outcome.code) "
                          "and --per-stratum K (e.g. 15)")
    _check_count("--per-stratum", per_stratum)
    check_stratum_path(stratify_by, model)
    return STRATIFIED


def _check_count(option: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SampleError(f"{option} {value!r} is not valid: give a whole number of files, at least 1")


def _check_unique_ids(records: Sequence[CaseRecord]) -> None:
    seen: set[str] = set()
    for record in records:
        if record.case_id in seen:
            raise SampleError(f"case_id {record.case_id!r} appears twice: case ids must be unique to draw by them")
        seen.add(record.case_id)


def check_stratum_path(path: str, model: RecordModel) -> str:
    """`path` must name a single value of the record type's model, such as outcome.code."""
    schema = model.schema_at(path)
    if schema is None:
        hint = suggestion(path, [p for p in model.paths if "[]" not in p])
        raise SampleError(f"--stratify-by {path!r} is not a field of the {model.kind.model}{hint}: "
                          "give a dotted path such as outcome.code or crime.offence.code")
    types = schema.get("type", [])
    if is_list_field(schema) or "object" in ([types] if isinstance(types, str) else types):
        kind = "a list" if is_list_field(schema) else "an object"
        raise SampleError(f"--stratify-by {path!r} is {kind}: give a field holding a single value, "
                          "such as outcome.code or crime.offence.code")
    return path


def stratum_value(record: CaseRecord, path: str) -> str:
    """The stratum of a record: the value at `path` as written, or "(not recorded)"."""
    value = value_at(record.raw, path)
    if value is None:
        return NOT_RECORDED
    return value if isinstance(value, str) else json.dumps(value)


def group_by_stratum(records: Iterable[CaseRecord], path: str) -> dict[str, list[str]]:
    """Stratum value → case ids, strata in sorted order."""
    groups: dict[str, list[str]] = {}
    for record in records:
        groups.setdefault(stratum_value(record, path), []).append(record.case_id)
    return {value: groups[value] for value in sorted(groups)}


def random_keys(records: Iterable[CaseRecord], seed: int) -> dict[str, float]:
    """One random number per record, given in case_id order (see the module docstring)."""
    generator = random.Random(seed)
    return {case_id: generator.random() for case_id in sorted(record.case_id for record in records)}


def smallest_keys(case_ids: Iterable[str], keys: dict[str, float], count: int) -> list[str]:
    """The `count` case ids with the smallest keys (ties, vanishingly rare, broken by case_id)."""
    return sorted(case_ids, key=lambda case_id: (keys[case_id], case_id))[:count]


def filter_records(records: Sequence[CaseRecord], where: str, timezone: str = DEFAULT_TIMEZONE,
                   model: RecordModel | None = None) -> list[CaseRecord]:
    """The records for which the CEL expression `where` is true; an error names records it cannot judge."""
    try:
        selector = compile_selector(where, RunSettings(timezone=timezone), model=model)
    except SelectorError as exc:
        raise SampleError(str(exc)) from None
    kept: list[CaseRecord] = []
    problems: list[str] = []
    for record in records:
        try:
            if selector.selects(record):
                kept.append(record)
        except EvaluationError as exc:
            problems.append(f"{_describe_record(record)}: {exc}")
    if problems:
        listed = "\n  ".join(problems[:MAX_LISTED_ERRORS])
        more = f"\n  … and {len(problems) - MAX_LISTED_ERRORS} more" if len(problems) > MAX_LISTED_ERRORS else ""
        raise SampleError(f"--where could not be evaluated on {len(problems)} record(s):\n  {listed}{more}\n"
                          "Make the filter say what to do with them, e.g. test `case.outcome != null && ...`.")
    return kept


def _describe_record(record: CaseRecord | Rejection) -> str:
    line = f" (line {record.line})" if record.line else ""
    case = f" case {record.case_id}" if record.case_id else ""
    return f"record {record.index + 1}{line}{case}"


# --- writing the sample and its manifest -------------------------------------------------------


def manifest_path_for(output: Path) -> Path:
    """`<output>.manifest.json`, beside the sample file."""
    return output.with_name(output.name + ".manifest.json")


def build_manifest(sample: Sample, population: Population, output: Path | None = None,
                   output_sha256: str | None = None) -> dict[str, Any]:
    """The record of a draw: everything needed to repeat it and check that it was repeated."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "drawn_at": datetime.now(dt_timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "algorithm": ALGORITHM,
        "algorithm_description": ALGORITHM_DESCRIPTION,
        "seed": sample.seed,
        "method": sample.method,
        "size": sample.size,
        "stratify_by": sample.stratify_by,
        "per_stratum": sample.per_stratum,
        "where": sample.where,
        "timezone": population.timezone,
        "population": {
            "path": str(population.path),
            "record_type": population.model.kind.name,
            "sha256": population.sha256,
            "records_read": population.records_read,
            "excluded_invalid": len(population.excluded),
            "excluded_records": [_excluded_entry(rejection) for rejection in population.excluded],
            "filtered_out": sample.filtered_out,
            "size": sample.eligible,
        },
        "sample": {
            "path": None if output is None else str(output),
            "sha256": output_sha256,
            "size": len(sample.records),
            "case_ids": sample.case_ids,
        },
        "strata": [stratum.as_dict() for stratum in sample.strata],
    }


def _excluded_entry(rejection: Rejection) -> dict[str, Any]:
    return {"index": rejection.index, "line": rejection.line, "case_id": rejection.case_id,
            "reason": f"{rejection.path or '(record)'}: {rejection.message}"}


# Sample file forms by name: what `check` reads back the same way.
SAMPLE_FORMS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def sample_form(output: Path, population_format: str, mapping: Any = None) -> str:
    """The form a sample written to `output` takes, from its name: `.json` a JSON array, `.jsonl` JSON Lines
    (either may end in `.gz`: gzip-compressed), `.csv` the export's own columns (a CSV population read
    through a mapping); SampleError for any other name, so a sample can always be scored as written."""
    name = output.name.lower()
    compressed = name.endswith(".gz")
    form = format_from_name(name)
    if form == "csv" and not compressed:
        joins_csv = mapping is not None and all(spec.join.source.format == "csv"
                                                for spec in mapping.lists if spec.join is not None)
        if population_format != "csv" or not joins_csv:
            raise SampleError(f"--output {output}: a .csv sample copies the rows of a CSV export read through "
                              "--mapping (joined files included, as CSV); this population is not one: give a "
                              ".json or .jsonl name")
        return "csv"
    if form in ("json", "jsonl"):
        return form
    raise SampleError(f"--output {output}: cannot tell what to write from the name: give .json (a JSON array), "
                      ".jsonl (JSON Lines), either with .gz, or .csv for a CSV export read through --mapping")


def sample_outputs(output: Path, population_format: str, mapping: Any = None) -> list[Path]:
    """Every file writing a sample to `output` creates: the sample, its manifest, and for a CSV export
    the joined files beside it."""
    paths = [output, manifest_path_for(output)]
    if sample_form(output, population_format, mapping) == "csv":
        from checker.inputs.exports.subset import joined_outputs

        paths += joined_outputs(mapping, output)
    return paths


def write_sample(sample: Sample, population: Population, output: Path) -> Path:
    """Write the sampled records in the form the output's name says (input order) and the manifest, each
    atomically; return the manifest's path."""
    if population.path.name != "-" and output.resolve() == population.path.resolve():
        raise SampleError(f"--output {output} is the population file: give a new file name for the sample")
    form = sample_form(output, population.input_format, population.mapping)
    if form == "csv":
        from checker.inputs.exports.subset import write_csv_subset

        write_csv_subset(population.path, population.mapping, [record.line for record in sample.records
                                                               if record.line is not None], output)
    else:
        records = [record.raw for record in sample.records]
        if form == "json":
            text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
        else:
            text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        data: str | bytes = text
        if output.name.lower().endswith(".gz"):
            data = gzip.compress(text.encode("utf-8"), mtime=0)  # the same sample gives the same bytes
        write_output(output, data)
    manifest = build_manifest(sample, population, output, file_sha256(output))
    manifest_path = manifest_path_for(output)
    write_output(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest_path


def load_manifest(path: Path) -> dict[str, Any]:
    """Read a manifest file; SampleError when it is not a JSON object."""
    try:
        data = load_json_side_file(path, MAX_MANIFEST_BYTES, "manifests")
    except SideFileError as exc:
        raise SampleError(f"{path}: cannot read the manifest: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SampleError(f"{path}:{exc.lineno}:{exc.colno}: the manifest is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise SampleError(f"{path}: expected a sample manifest (a JSON object)")
    return data


# --- repeating a draw ---------------------------------------------------------------------------

_REQUIRED_KEYS = ("manifest_version", "algorithm", "seed", "method", "size", "stratify_by", "per_stratum",
                  "where", "timezone", "population", "sample", "strata")


def verify_manifest(manifest: dict[str, Any], population_path: Path, sample_path: Path | None = None) -> list[str]:
    """Redraw from the population file with the manifest's settings; the problems found (none: repeatable).

    With `sample_path`, also check that the sample file holds exactly the
    manifest's case ids, each record unchanged from the population.
    """
    problems = _manifest_shape_problems(manifest)
    if problems:
        return problems
    try:
        population = read_population(population_path, manifest["timezone"])
    except InputError as exc:
        return [f"the population file cannot be read: {exc}"]
    recorded_sha = manifest["population"].get("sha256")
    if population.sha256 != recorded_sha:
        problems.append(f"the population file has changed since the draw: its sha256 is {population.sha256}, "
                        f"the manifest records {recorded_sha}")
    try:
        redrawn = draw_sample(population.records, size=manifest["size"], seed=manifest["seed"],
                              stratify_by=manifest["stratify_by"], per_stratum=manifest["per_stratum"],
                              where=manifest["where"], timezone=manifest["timezone"], model=population.model)
    except SampleError as exc:
        return problems + [f"the draw cannot be repeated: {exc}"]
    problems += _compare_draw(manifest, redrawn)
    if sample_path is not None:
        problems += _sample_file_problems(manifest, population, sample_path)
    return problems


def _manifest_shape_problems(manifest: Any) -> list[str]:
    if not isinstance(manifest, dict):
        return ["the manifest is not a JSON object"]
    missing = [key for key in _REQUIRED_KEYS if key not in manifest]
    if missing:
        return [f"the manifest lacks {', '.join(missing)}: it is not a complete sample manifest"]
    problems = []
    if manifest["manifest_version"] != MANIFEST_VERSION:
        problems.append(f"manifest_version {manifest['manifest_version']!r} is not supported "
                        f"(this tool reads version {MANIFEST_VERSION})")
    if manifest["algorithm"] != ALGORITHM:
        problems.append(f"algorithm {manifest['algorithm']!r} is not known to this tool (it draws with {ALGORITHM})")
    if not isinstance(manifest["population"], dict) or not isinstance(manifest["sample"], dict) \
            or not isinstance(manifest["strata"], list):
        problems.append("the manifest's population, sample and strata entries are malformed")
    return problems


def _compare_draw(manifest: dict[str, Any], redrawn: Sample) -> list[str]:
    problems = []
    recorded_size = manifest["population"].get("size")
    if recorded_size != redrawn.eligible:
        problems.append(f"population size differs: {redrawn.eligible} eligible record(s) now, "
                        f"{recorded_size} at the draw")
    problems += _id_differences("sampled case ids", manifest["sample"].get("case_ids") or [], redrawn.case_ids)
    recorded = {entry.get("value"): entry for entry in manifest["strata"] if isinstance(entry, dict)}
    now = {stratum.value: stratum for stratum in redrawn.strata}
    for value in sorted(set(recorded) | set(now), key=str):
        if value not in now:
            problems.append(f"stratum {value!r} is in the manifest but not in the population now")
            continue
        if value not in recorded:
            problems.append(f"stratum {value!r} is in the population now but not in the manifest")
            continue
        if recorded[value].get("population") != now[value].population:
            problems.append(f"stratum {value!r}: {now[value].population} eligible record(s) now, "
                            f"{recorded[value].get('population')} at the draw")
        problems += _id_differences(f"stratum {value!r} case ids", recorded[value].get("case_ids") or [],
                                    list(now[value].case_ids))
    return problems


def _id_differences(what: str, recorded: list[str], drawn: list[str]) -> list[str]:
    missing, extra = sorted(set(recorded) - set(drawn)), sorted(set(drawn) - set(recorded))
    if not missing and not extra:
        return []
    parts = []
    if missing:
        parts.append(f"in the manifest but not redrawn: {', '.join(missing)}")
    if extra:
        parts.append(f"redrawn but not in the manifest: {', '.join(extra)}")
    return [f"{what} differ: " + "; ".join(parts)]


def _sample_file_problems(manifest: dict[str, Any], population: Population, sample_path: Path) -> list[str]:
    try:
        raws = list(open_source(sample_path).records())
    except InputError as exc:
        return [f"the sample file cannot be read: {exc}"]
    by_id = {record.case_id: record.raw for record in population.records}
    problems = []
    ids: list[str] = []
    for raw in raws:
        value = raw.value()
        case_id = value.get("case_id") if isinstance(value, dict) else None
        ids.append(str(case_id))
        if case_id in by_id and by_id[case_id] != value:
            problems.append(f"sample file record {raw.index + 1} (line {raw.line}) case {case_id}: "
                            "differs from the population's record")
    return _id_differences("sample file case ids", manifest["sample"].get("case_ids") or [], ids) + problems
