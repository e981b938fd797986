// Five-field cron expressions in words: "0 3 * * *" -> "every day at 03:00". The common shapes are worded; any
// other expression is shown as it is ("cron 5,35 1-5 * * mon-fri"), never guessed at. The server validates.

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

function number(field, low, high) {
  if (!/^\d+$/.test(field)) return null;
  const value = Number(field);
  return value >= low && value <= high ? value : null;
}

function step(field) {
  const match = /^\*\/(\d+)$/.exec(field);
  return match ? Number(match[1]) : null;
}

function weekday(field) {
  const index = DAY_NAMES.indexOf(field.toLowerCase());
  if (index >= 0) return index;
  const value = number(field, 0, 7);
  return value === null ? null : value % 7;
}

function ordinal(day) {
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  return `${day}${{ 1: "st", 2: "nd", 3: "rd" }[day % 10] || "th"}`;
}

function clock(hour, minute) {
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

/** ``expression`` in words, or null when it is not one of the shapes worded here. */
export function cronWords(expression) {
  const fields = String(expression || "").trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const [minuteField, hourField, dayField, monthField, weekdayField] = fields;
  const anyDate = dayField === "*" && monthField === "*" && weekdayField === "*";
  if (anyDate && hourField === "*") {
    if (minuteField === "*") return "every minute";
    const every = step(minuteField);
    if (every) return every === 1 ? "every minute" : `every ${every} minutes`;
    const minute = number(minuteField, 0, 59);
    if (minute !== null) return `every hour at ${String(minute).padStart(2, "0")} minutes past`;
    return null;
  }
  const minute = number(minuteField, 0, 59);
  if (minute === null) return null;
  const hourStep = step(hourField);
  if (anyDate && hourStep) return `every ${hourStep} hours at ${String(minute).padStart(2, "0")} minutes past`;
  const hour = number(hourField, 0, 23);
  if (hour === null) return null;
  const at = `at ${clock(hour, minute)}`;
  if (anyDate) return `every day ${at}`;
  if (dayField === "*" && monthField === "*") {
    const day = weekday(weekdayField);
    return day === null ? null : `every ${DAYS[day]} ${at}`;
  }
  if (weekdayField === "*") {
    const day = number(dayField, 1, 31);
    if (day === null) return null;
    if (monthField === "*") return `on the ${ordinal(day)} of every month ${at}`;
    const month = number(monthField, 1, 12);
    if (month === null) return null;
    if (day > MONTH_DAYS[month - 1]) return `never: ${MONTHS[month - 1]} has no day ${day}`;
    return `every year on ${MONTHS[month - 1]} ${day} ${at}`;
  }
  return null;
}

/** Words when known, else the expression itself: always something to show. */
export function describeCron(expression) {
  return cronWords(expression) || `cron ${String(expression || "").trim()}`;
}
