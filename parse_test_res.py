"""Summarise results: the original seed-folder report, or (`--table`) base-to-novel and transfer tables.

    python parse_test_res.py output/dtd/CoOp/vit_b16_16shots/nctx16_cscFalse_ctpend/CTX_16_epo_200
    python parse_test_res.py DIRECTORY --test-log --ci95 --keyword accuracy [--multi-exp]
    python parse_test_res.py output --table [--markdown FILE] [--csv FILE] [--plot FILE.png]
"""
import argparse
import sys

from results.collect import collect_measurements
from results.files import write_text_atomic
from results.published import DEFAULT_FOLDER, Published, load_published
from results.render import render_csv, render_markdown
from results.seed_runs import ResultsError, summarize_experiment, summarize_experiments
from results.tables import (
    CROSS_DATASET, DOMAIN_GENERALIZATION, build_base_to_novel_tables, build_transfer_table,
)


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", help="experiment folder of seed runs, or (with --table) a results root")
    parser.add_argument("--ci95", action="store_true", help="report 1.96*std/sqrt(n) instead of std")
    parser.add_argument("--test-log", action="store_true", help="read the result after '=> result' (eval logs)")
    parser.add_argument("--multi-exp", action="store_true", help="directory holds several experiment folders")
    parser.add_argument("--keyword", default="accuracy", help="metric: accuracy, error or macro_f1")
    table = parser.add_argument_group("table mode")
    table.add_argument("--table", action="store_true", help="find every run under directory and print tables")
    table.add_argument("--format", choices=["markdown", "csv"], default="markdown", help="what to print")
    table.add_argument("--markdown", metavar="FILE", help="also write the Markdown tables to FILE")
    table.add_argument("--csv", metavar="FILE", help="also write the CSV (long format) to FILE")
    table.add_argument("--plot", metavar="FILE", help="write a grouped bar chart of HM to FILE (PNG)")
    table.add_argument("--seeds", type=int, nargs="+", help="seeds every method must have (default: all seen)")
    table.add_argument("--trainer", action="append", help="only this trainer (repeatable)")
    table.add_argument("--by-variant", action="store_true", help="one method per output-folder variant")
    table.add_argument("--published", default=DEFAULT_FOLDER, help="folder of the papers' CSV files")
    table.add_argument("--no-published", action="store_true", help="do not show the papers' numbers")
    return parser


def run_table_mode(args):
    measurements = collect_measurements(args.directory, by_variant=args.by_variant, trainers=args.trainer)
    if not measurements:
        raise ResultsError(f"No runs found under {args.directory}")
    published = Published() if args.no_published else load_published(args.published)
    method_order = list(dict.fromkeys(method for method, _ in published.base_to_novel))
    base_to_novel = build_base_to_novel_tables(measurements, args.seeds, method_order)
    transfer = [build_transfer_table(measurements, kind, args.seeds, method_order)
                for kind in (CROSS_DATASET, DOMAIN_GENERALIZATION)]
    transfer = [table for table in transfer if table is not None]
    markdown = render_markdown(base_to_novel, transfer, published)
    csv_text = render_csv(base_to_novel, transfer, published)
    if args.markdown:
        write_text_atomic(args.markdown, markdown)
    if args.csv:
        write_text_atomic(args.csv, csv_text)
    if args.plot:
        from results.plots import plot_hm_bars  # matplotlib loads only when a chart is asked for

        plot_hm_bars(base_to_novel, args.plot)
    sys.stdout.write(markdown if args.format == "markdown" else csv_text)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if args.table:
            run_table_mode(args)
            return 0
        end_signal = "=> result" if args.test_log else "Finish training"
        summarize = summarize_experiments if args.multi_exp else summarize_experiment
        summarize(args.directory, args.keyword, end_signal, args.ci95)
    except (ResultsError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
