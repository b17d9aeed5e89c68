/** The MQTT broker embedded in the aggregator, with chiso's login and topic rules. */
export { buildEmbeddedBroker, DEFAULT_INTERNAL_USERNAME, type BrokerConfig, type BrokerDeps, type EmbeddedBroker } from './embedded-broker.js';
export { checkGatewayLogin, decidePublish, decideSubscribe, type Decision, type Identity, type PublishFacts } from './access.js';
export { Counters } from './counters.js';
export { localLink, type LocalLink } from './local-link.js';
