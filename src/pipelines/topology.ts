/**
 * The shape of the node graph: its cycles, and an order in which every node comes after all
 * of its inputs.
 */

/**
 * Node ids such that each comes after every node it reads from; ties go to the earlier id in
 * `ids`, so the order is stable for an unchanged file. Nodes on a cycle are left out.
 *
 * @param ids Every node id, in the preferred order (sources, operators, sinks; file order).
 * @param inputsOf The ids a node reads from.
 */
export function topologicalOrder(ids: readonly string[], inputsOf: (id: string) => readonly string[]): string[] {
  const rank = new Map(ids.map((id, index) => [id, index]));
  const waiting = new Map<string, number>();
  const consumers = new Map<string, string[]>();
  for (const id of ids) {
    const inputs = new Set(inputsOf(id).filter((input) => rank.has(input)));
    waiting.set(id, inputs.size);
    for (const input of inputs) {
      const list = consumers.get(input);
      if (list) list.push(id);
      else consumers.set(input, [id]);
    }
  }
  // Ready nodes by rank: a heap, so a graph of thousands of nodes orders in n log n.
  const ready = new RankHeap(rank);
  for (const id of ids) if (waiting.get(id) === 0) ready.push(id);
  const order: string[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(id);
    for (const consumer of consumers.get(id) ?? []) {
      const left = (waiting.get(consumer) as number) - 1;
      waiting.set(consumer, left);
      if (left === 0) ready.push(consumer);
    }
  }
  return order;
}

/**
 * One cycle per strongly connected component, each as the ids along it in data-flow order
 * (`[a, b, c]` for a → b → c → a), starting at the component's earliest id in `ids`.
 */
export function findCycles(ids: readonly string[], inputsOf: (id: string) => readonly string[]): string[][] {
  const rank = new Map(ids.map((id, index) => [id, index]));
  const consumers = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const id of ids) {
    for (const input of new Set(inputsOf(id))) consumers.get(input)?.push(id);
  }
  const cycles: string[][] = [];
  for (const component of stronglyConnected(ids, (id) => consumers.get(id) ?? [])) {
    const members = new Set(component);
    const start = [...component].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))[0] as string;
    const selfLoop = consumers.get(start)?.includes(start) ?? false;
    if (component.length === 1 && !selfLoop) continue;
    cycles.push(shortestCycle(start, members, (id) => consumers.get(id) ?? []));
  }
  return cycles.sort((a, b) => (rank.get(a[0] as string) ?? 0) - (rank.get(b[0] as string) ?? 0));
}

/** Tarjan's algorithm, iterative so a long chain of nodes can't overflow the stack. */
function stronglyConnected(ids: readonly string[], next: (id: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; edge: number }[] = [{ id: root, edge: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter += 1;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; edge: number };
      const edges = next(frame.id);
      if (frame.edge < edges.length) {
        const to = edges[frame.edge] as string;
        frame.edge += 1;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter);
          counter += 1;
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(to) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        components.push(component);
      }
    }
  }
  return components;
}

/** The shortest way from `start` back to itself inside one component (breadth-first). */
function shortestCycle(start: string, members: ReadonlySet<string>, next: (id: string) => readonly string[]): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head] as string;
    for (const to of next(id)) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [id];
        for (let at = id; at !== start; ) {
          at = cameFrom.get(at) as string;
          path.unshift(at);
        }
        return path;
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, id);
        queue.push(to);
      }
    }
  }
  return [start];
}

/** A min-heap of ids by their rank. */
class RankHeap {
  private readonly items: string[] = [];

  constructor(private readonly rank: ReadonlyMap<string, number>) {}

  push(id: string): void {
    const items = this.items;
    items.push(id);
    for (let at = items.length - 1; at > 0; ) {
      const parent = (at - 1) >> 1;
      if (this.before(items[parent] as string, id)) break;
      items[at] = items[parent] as string;
      items[parent] = id;
      at = parent;
    }
  }

  pop(): string | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    for (let at = 0; ; ) {
      const left = 2 * at + 1;
      const right = left + 1;
      let least = at;
      if (left < items.length && this.before(items[left] as string, items[least] as string)) least = left;
      if (right < items.length && this.before(items[right] as string, items[least] as string)) least = right;
      if (least === at) break;
      items[at] = items[least] as string;
      items[least] = last;
      at = least;
    }
    return top;
  }

  private before(a: string, b: string): boolean {
    return (this.rank.get(a) ?? 0) < (this.rank.get(b) ?? 0);
  }
}
