/** The composition root: `startNode` builds and starts every part of a node. */
export { startNode, type RunningNode, type StartNodeOptions } from "./start-node.ts";
