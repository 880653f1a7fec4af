import type { DetectionResult } from "./detection";
import { LOSSES, type JobResult } from "./experiments";
import type { FalsePositiveResult, PhaseResult } from "./false-positives";
import type { HealResult } from "./heal";
import { mean } from "./stats";

/** Results of one run, by cluster size. */
export interface SizeResults {
  readonly size: number;
  readonly detection?: DetectionResult;
  readonly loss: { lifeguard?: FalsePositiveResult; plain?: FalsePositiveResult };
  readonly overloaded: { lifeguard?: FalsePositiveResult; plain?: FalsePositiveResult; count?: number };
  /** Partition-heal trials without and with `refutableVerdicts`. */
  readonly heal: { off?: readonly HealResult[]; on?: readonly HealResult[] };
}

export function bySize(results: readonly JobResult[]): SizeResults[] {
  const sizes = new Map<number, SizeResults>();
  for (const r of results) {
    const size = r.job.size;
    let entry = sizes.get(size);
    if (entry === undefined) sizes.set(size, (entry = { size, loss: {}, overloaded: {}, heal: {} }));
    if ("detection" in r) (entry as { detection?: DetectionResult }).detection = r.detection;
    else if ("heal" in r) entry.heal[r.job.refutableVerdicts ? "on" : "off"] = r.heal;
    else if (r.job.kind === "loss") entry.loss[r.job.lifeguard ? "lifeguard" : "plain"] = r.falsePositives;
    else {
      entry.overloaded[r.job.lifeguard ? "lifeguard" : "plain"] = r.falsePositives;
      entry.overloaded.count = r.job.count;
    }
  }
  return [...sizes.values()].sort((a, b) => a.size - b.size);
}

/** Plain-text tables, as pasted into docs/membership.md. */
export function formatReport(sizes: readonly SizeResults[]): string {
  const out: string[] = [];
  out.push("Crash detection (Lifeguard on, loss 0%, periods aligned; times in protocol periods, means)");
  out.push(
    table(
      [
        "N",
        "crashes",
        "detect: crash at boundary",
        "detect: crash at random instant",
        "suspicion reaches all",
        "dead everywhere",
        "msgs/member/period",
      ],
      sizes.map((s) => {
        const d = s.detection;
        const msgs = phaseAt(s.loss.lifeguard, 0)?.messagesPerMemberPerPeriod;
        return [
          s.size.toLocaleString("en-US"),
          d ? String(d.samples.length) + (d.incomplete ? ` (${d.incomplete} incomplete)` : "") : "-",
          fixed(d?.firstDetectionAtBoundary),
          fixed(d?.firstDetectionAtRandom),
          fixed(d?.dissemination),
          fixed(d?.deadEverywhere),
          fixed(msgs, 3),
        ];
      }),
    ),
  );
  out.push("");
  out.push("False positives under uniform message loss: members declared dead per member-hour (count)");
  const lossHeaders = LOSSES.map((l) => `${l * 100}%`);
  out.push(
    table(
      ["N", "member-h at each rate", ...lossHeaders.map((h) => `Lifeguard ${h}`), ...lossHeaders.map((h) => `plain SWIM ${h}`)],
      sizes.map((s) => [
        s.size.toLocaleString("en-US"),
        s.loss.lifeguard?.phases.map((p) => p.memberHours.toFixed(0)).join("/") ?? "-",
        ...LOSSES.map((loss) => rate(phaseAt(s.loss.lifeguard, loss))),
        ...LOSSES.map((loss) => rate(phaseAt(s.loss.plain, loss))),
      ]),
    ),
  );
  out.push("");
  out.push("Messages per member per period under loss (Lifeguard / plain)");
  out.push(
    table(
      ["N", ...lossHeaders],
      sizes.map((s) => [
        s.size.toLocaleString("en-US"),
        ...LOSSES.map(
          (loss) =>
            `${fixed(phaseAt(s.loss.lifeguard, loss)?.messagesPerMemberPerPeriod)} / ${fixed(phaseAt(s.loss.plain, loss)?.messagesPerMemberPerPeriod)}`,
        ),
      ]),
    ),
  );
  out.push("");
  out.push("Overloaded members (1%, at least 1; each handles messages 3 periods late on average), loss 0%");
  out.push(
    table(
      [
        "N",
        "overloaded",
        "member-h",
        "healthy dead/member-h Lifeguard",
        "plain SWIM",
        "overloaded dead Lifeguard",
        "plain SWIM",
        "healthy suspected Lifeguard",
        "plain SWIM",
      ],
      sizes.map((s) => {
        const on = s.overloaded.lifeguard?.phases[0];
        const off = s.overloaded.plain?.phases[0];
        return [
          s.size.toLocaleString("en-US"),
          s.overloaded.count === undefined ? "not run" : String(s.overloaded.count),
          fixed(on?.memberHours, 1),
          rate(on),
          rate(off),
          String(on?.falseDeadOverloaded ?? "-"),
          String(off?.falseDeadOverloaded ?? "-"),
          String(on?.falseSuspicions ?? "-"),
          String(off?.falseSuspicions ?? "-"),
        ];
      }),
    ),
  );
  out.push("");
  out.push(
    "Healing a partition of one member: isolated until each side declared the other dead, then 120 periods watched; " +
      "healthy members declared dead by anyone (total over the trials), without / with refutableVerdicts",
  );
  const healRows = sizes.filter((s) => s.heal.off !== undefined || s.heal.on !== undefined);
  out.push(
    table(
      [
        "N",
        "trials",
        "isolated (periods)",
        "its verdicts at the heal",
        "healthy declared dead",
        "trials with any",
        "all alive again (periods)",
      ],
      healRows.map((s) => {
        const pair = (f: (runs: readonly HealResult[]) => string) =>
          `${s.heal.off ? f(s.heal.off) : "-"} / ${s.heal.on ? f(s.heal.on) : "-"}`;
        return [
          s.size.toLocaleString("en-US"),
          pair((runs) => String(runs.length)),
          pair((runs) => fixed(meanOf(runs.map((r) => r.isolationPeriods)), 0)),
          pair((runs) => fixed(meanOf(runs.map((r) => r.concludedWhileIsolated)), 1)),
          pair((runs) => String(runs.reduce((sum, r) => sum + r.healthyDeclaredDead, 0))),
          pair((runs) => String(runs.filter((r) => r.healthyDeclaredDead > 0).length)),
          pair((runs) => fixed(meanOf(runs.map((r) => r.healedPeriods)), 0) + incomplete(runs)),
        ];
      }),
    ),
  );
  return out.join("\n");
}

/** Mean of the figures that exist (a trial that never got there has none). */
function meanOf(values: readonly (number | undefined)[]): number {
  return mean(values.filter((v): v is number => v !== undefined));
}

function incomplete(runs: readonly HealResult[]): string {
  const missing = runs.filter((r) => r.healedPeriods === undefined).length;
  return missing === 0 ? "" : ` (${missing} not)`;
}

function phaseAt(result: FalsePositiveResult | undefined, loss: number): PhaseResult | undefined {
  return result?.phases.find((p) => p.loss === loss);
}

function rate(phase: PhaseResult | undefined): string {
  if (phase === undefined) return "not run";
  return `${fixed(phase.falseDeadPerMemberHour, 2)} (${phase.falseDead})`;
}

function fixed(value: number | undefined, digits = 2): string {
  return value === undefined || Number.isNaN(value) ? "-" : value.toFixed(digits);
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(" | ")} |`;
  return [line(headers), `|${widths.map((w) => "-".repeat(w + 1) + ":").join("|")}|`, ...rows.map(line)].join("\n");
}
