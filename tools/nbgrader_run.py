"""Run several nbgrader steps in one process of nbgrader's own environment.

Each ``nbgrader`` command pays about 4 s of CPU to import Jupyter Server and
friends; the course needs several per chapter (generate, autograde, export).
This script is run by ``tools/nbgrader_course.py`` with
``_build/nbgrader-env/bin/python`` and does them through nbgrader's own API
(``nbgrader.apps.NbGraderAPI``, the code behind the command line), in order::

    python tools/nbgrader_run.py COURSE generate:ch02 generate:ch07
    python tools/nbgrader_run.py COURSE demo:ch02 export:grades.csv

``demo:chNN`` submits the four simulated students of
``tools/nbgrader_course.simulated_students`` and autogrades them;
``autograde:chNN`` autogrades every submission of ``chNN``.  The last line of
the output is a JSON object with what each step returned and how long it took.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str]) -> int:
    import nbformat
    from nbgrader.apps import ExportApp, NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    import nbgrader_course as COURSE

    course = Path(argv[0]).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    api = NbGraderAPI(config=config)
    results: dict[str, dict] = {}

    def check(what: str, outcome: dict) -> None:
        if not outcome.get("success"):
            raise RuntimeError(f"{what} failed:\n{outcome.get('log', '')[-4000:]}\n"
                               f"{outcome.get('error', '')}")

    for step in argv[1:]:
        command, _, arg = step.partition(":")
        start = time.perf_counter()
        if command == "generate":
            check(step, api.generate_assignment(arg, force=True))
            COURSE._link_benchmarks(course / "release")
            results[step] = {}
        elif command in ("demo", "autograde"):
            if command == "demo":
                source = next((course / "source" / arg).glob("*.ipynb"))
                release = course / "release" / arg / source.name
                students, expected = COURSE.simulated_students(
                    nbformat.read(source, as_version=4), nbformat.read(release, as_version=4),
                    int(arg[2:]))
                for student, nb in students.items():
                    COURSE.submit(course, f"{arg}-{student}", arg, nb, source.name)
                results[step] = {"expected": expected}
                who = [f"{arg}-{s}" for s in students]
            else:
                who = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{arg}"))
                results[step] = {}
            for student in who:
                COURSE._link_benchmarks(course / "autograded" / student)
                check(f"{step} {student}", api.autograde(arg, student, force=True))
            results[step]["students"] = len(who)
        elif command == "export":
            app = ExportApp(config=config)
            app.initialize(["--to", str(course / arg)])
            app.start()
            results[step] = {}
        else:
            raise SystemExit(f"unknown step {step!r}")
        results[step]["seconds"] = time.perf_counter() - start
        print(f"{step}: {results[step]['seconds']:.1f} s", flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
