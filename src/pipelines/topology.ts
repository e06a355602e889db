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
    for (const input of inputs) consumers.set(input, [...(consumers.get(input) ?? []), id]);
  }
  const ready = ids.filter((id) => waiting.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    order.push(id);
    for (const consumer of consumers.get(id) ?? []) {
      const left = (waiting.get(consumer) as number) - 1;
      waiting.set(consumer, left);
      if (left === 0) insertByRank(ready, consumer, rank);
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
  while (queue.length > 0) {
    const id = queue.shift() as string;
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

function insertByRank(queue: string[], id: string, rank: ReadonlyMap<string, number>): void {
  const r = rank.get(id) ?? 0;
  const at = queue.findIndex((other) => (rank.get(other) ?? 0) > r);
  if (at === -1) queue.push(id);
  else queue.splice(at, 0, id);
}
