import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { ROOMS, type EventName, type EventPayload } from '@earshot/contracts';

/** Where an event goes: always the session's room, and the org room for proctor dashboards. */
export interface EventTarget {
  sessionId: string;
  orgId?: string;
}

export interface EventPublisher {
  publish<E extends EventName>(event: E, target: EventTarget, payload: EventPayload<E>): void;
  close(): Promise<void>;
}

export interface EventPublisherOptions {
  redisUrl: string;
  /** socket.io adapter key; must match the notifier's. Default 'socket.io'. */
  key?: string;
}

/**
 * Publishes socket events through Redis pub/sub (the socket.io emitter protocol). Every notifier instance
 * with the Redis adapter relays them to its clients; publishers never open a socket.
 */
export function createEventPublisher(options: EventPublisherOptions): EventPublisher {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
  redis.on('error', () => undefined);
  const emitter = new Emitter(redis, { key: options.key ?? 'socket.io' });
  return {
    publish(event, target, payload) {
      const rooms = [ROOMS.session(target.sessionId), ...(target.orgId ? [ROOMS.org(target.orgId)] : [])];
      (emitter.to(rooms) as unknown as { emit(event: string, payload: unknown): void }).emit(event, payload);
    },
    async close() {
      await redis.quit().catch(() => undefined);
    },
  };
}

/** For unit tests of use cases: records what was published. */
export function createRecordingPublisher(): EventPublisher & { events: { event: EventName; target: EventTarget; payload: unknown }[] } {
  const events: { event: EventName; target: EventTarget; payload: unknown }[] = [];
  return {
    events,
    publish: (event, target, payload) => void events.push({ event, target, payload }),
    close: async () => undefined,
  };
}
