/** Customer notices (B7): one per metering point after its book closes, held through blackout windows. */
export { NoticeOutbox, NOTICE_DEADLINE_MS, type Notice, type NoticeChannel, type EnqueueResult, type NoticeOutboxSettings } from './outbox.js';
export { JsonlNoticeDispatcher, dispatchDueNotices, noticesFilePath, type NoticeDispatcher } from './dispatcher.js';
export { noticeText, type NoticeContent, type NoticeRegister } from './notice-text.js';
export { NoticeError, type NoticeErrorCode } from './errors.js';
