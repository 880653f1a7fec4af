import { DEFAULT_SWIM_CONFIG, type SwimConfig } from "../shared/swim";
import { SimCluster, type MessageType } from "./cluster";
import type { NetworkOptions } from "./network";

export interface FalsePositiveOptions {
  readonly size: number;
  readonly seed: number;
  readonly config?: SwimConfig;
  readonly network?: Partial<NetworkOptions>;
  /** Message loss rates and how many periods to measure each, one after the other on the same cluster. */
  readonly phases: readonly { readonly loss: number; readonly periods: number }[];
  /** Unmeasured periods before each phase, so suspicions from the previous rate play out. */
  readonly quietPeriods?: number;
  /**
   * Overloaded members (the Lifeguard paper's anomaly): each handles every
   * message it receives late by an exponential delay of mean `backlogMs`.
   */
  readonly overloaded?: { readonly count: number; readonly backlogMs: number };
}

export interface PhaseResult {
  readonly loss: number;
  readonly periods: number;
  /** Healthy (not overloaded) members x measured hours. */
  readonly memberHours: number;
  /**
   * Healthy members declared dead: each member-incarnation counted once,
   * whoever declared it and however many agreed.
   */
  readonly falseDead: number;
  readonly falseDeadPerMemberHour: number;
  /** Overloaded members declared dead, counted apart: they are alive, but do answer late. */
  readonly falseDeadOverloaded: number;
  /** Healthy members suspected, counted the same way as falseDead. */
  readonly falseSuspicions: number;
  readonly messagesPerMemberPerPeriod: number;
  readonly messagesByType: Readonly<Record<MessageType, number>>;
}

export interface FalsePositiveResult {
  readonly size: number;
  readonly lifeguard: boolean;
  readonly phases: readonly PhaseResult[];
}

/**
 * No member fails; every "dead" verdict is a false positive. Loss rates are
 * applied in turn to one cluster (building a large cluster is the expensive
 * part); each phase is preceded by settling periods that are not counted.
 */
export function runFalsePositives(options: FalsePositiveOptions): FalsePositiveResult {
  const config = options.config ?? DEFAULT_SWIM_CONFIG;
  const cluster = new SimCluster({ size: options.size, seed: options.seed, config, network: options.network ?? {} });
  const period = cluster.period;
  const overloaded = new Set<number>();
  for (let i = 0; i < (options.overloaded?.count ?? 0); i++) {
    const member = Math.floor((i * options.size) / options.overloaded!.count);
    overloaded.add(member);
    cluster.network.overload(member, options.overloaded!.backlogMs);
  }

  let counting = false;
  const dead = new Set<string>();
  const deadOverloaded = new Set<string>();
  const suspected = new Set<string>();
  cluster.observe((_observer, event) => {
    if (!counting || (event.type !== "dead" && event.type !== "suspect")) return;
    const key = `${event.member}@${event.incarnation}`;
    if (overloaded.has(cluster.indexOf(event.member))) {
      if (event.type === "dead") deadOverloaded.add(key);
    } else {
      (event.type === "dead" ? dead : suspected).add(key);
    }
  });

  const phases: PhaseResult[] = [];
  for (const { loss, periods } of options.phases) {
    cluster.network.loss = loss;
    cluster.runFor((options.quietPeriods ?? 10) * period);
    dead.clear();
    deadOverloaded.clear();
    suspected.clear();
    const sentBefore = { ...cluster.sent };
    const messagesBefore = cluster.messages;
    counting = true;
    cluster.runFor(periods * period);
    counting = false;
    const memberHours = ((options.size - overloaded.size) * periods * period) / 3_600_000;
    const messagesByType = { ...cluster.sent };
    for (const type of Object.keys(messagesByType) as MessageType[]) messagesByType[type] -= sentBefore[type];
    phases.push({
      loss,
      periods,
      memberHours,
      falseDead: dead.size,
      falseDeadPerMemberHour: dead.size / memberHours,
      falseDeadOverloaded: deadOverloaded.size,
      falseSuspicions: suspected.size,
      messagesPerMemberPerPeriod: (cluster.messages - messagesBefore) / (options.size * periods),
      messagesByType,
    });
  }
  return { size: options.size, lifeguard: config.lifeguard, phases };
}
