/** The risk engine: pure rules shared by the workflows, the risk activity and (later) the backtester. */
export * from './assess';
export * from './cooldowns';
export * from './exits';
export * from './plan';
export * from './report';
export * from './sizing';
