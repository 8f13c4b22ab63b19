/**
 * Parses history JSON as written by `temporal workflow show --output json` (and the Web UI's download).
 *
 * Why not the SDK's historyFromJSON: with ccxt and grpc pinning protobufjs 7 at the top of node_modules, npm gives
 * @temporalio/common and @temporalio/proto separate nested copies of protobufjs 8, and the SDK's helper then mixes
 * one copy's JSON reader with the other's types ("type must be a Type"). Using the reader from the same copy as
 * the proto definitions avoids the mix; Worker.runReplayHistory accepts the decoded History as is.
 */
import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type FromJson = (type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }) => proto.temporal.api.history.v1.History;
const protoRequire = createRequire(require.resolve('@temporalio/proto'));
const { fromJson } = protoRequire('protobufjs/ext/protojson') as { fromJson: FromJson };
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyFromCliJson(json: unknown): proto.temporal.api.history.v1.History {
  return fromJson(historyType, json, { ignoreUnknownFields: true });
}
