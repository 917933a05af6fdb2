/* STM32 register offsets and bit positions we use, from the reference manuals
 * (RM0090 F405/F446 "v1" USART, RM0433/RM0399/RM0385/RM0432 "v2" USART/LPUART, GPIO, TIM).
 * Each annotation "svd: ROLE.REGISTER[.FIELD]" is checked against ST's SVD files by
 * tests/test_boards_svd.py, ROLE being resolved per board (USART = the board's UART,
 * GPIO = a pin's port, TIM = the counter's timer). */
#ifndef TFC_STM32_REGS_H
#define TFC_STM32_REGS_H

/* GPIO (same layout on F4, F7, H7, L4) */
#define TFC_GPIO_MODER 0x00u      /* svd: GPIO.MODER */
#define TFC_GPIO_OSPEEDR 0x08u    /* svd: GPIO.OSPEEDR */
#define TFC_GPIO_AFRL 0x20u       /* svd: GPIO.AFRL */
#define TFC_GPIO_AFRH 0x24u       /* svd: GPIO.AFRH */
#define TFC_GPIO_MODE_AF 2u       /* MODERy = 0b10: alternate function */

/* USART v1 (F4: SR/DR/BRR/CR1) */
#define TFC_USART1_SR 0x00u       /* svd-v1: USART.SR */
#define TFC_USART1_DR 0x04u       /* svd-v1: USART.DR */
#define TFC_USART1_BRR 0x08u      /* svd-v1: USART.BRR */
#define TFC_USART1_CR1 0x0Cu      /* svd-v1: USART.CR1 */
#define TFC_USART1_SR_RXNE 5u     /* svd-v1: USART.SR.RXNE */
#define TFC_USART1_SR_TXE 7u      /* svd-v1: USART.SR.TXE */
#define TFC_USART1_CR1_RXNEIE 5u  /* svd-v1: USART.CR1.RXNEIE */
#define TFC_USART1_CR1_RE 2u      /* svd-v1: USART.CR1.RE */
#define TFC_USART1_CR1_TE 3u      /* svd-v1: USART.CR1.TE */
#define TFC_USART1_CR1_UE 13u     /* svd-v1: USART.CR1.UE */

/* USART v2 / LPUART (F7, H7, L4: CR1/BRR/ISR/ICR/RDR/TDR) */
#define TFC_USART2_CR1 0x00u      /* svd-v2: USART.CR1 */
#define TFC_USART2_BRR 0x0Cu      /* svd-v2: USART.BRR */
#define TFC_USART2_ISR 0x1Cu      /* svd-v2: USART.ISR */
#define TFC_USART2_ICR 0x20u      /* svd-v2: USART.ICR */
#define TFC_USART2_RDR 0x24u      /* svd-v2: USART.RDR */
#define TFC_USART2_TDR 0x28u      /* svd-v2: USART.TDR */
#define TFC_USART2_CR1_UE 0u      /* svd-v2: USART.CR1.UE */
#define TFC_USART2_CR1_RE 2u      /* svd-v2: USART.CR1.RE */
#define TFC_USART2_CR1_TE 3u      /* svd-v2: USART.CR1.TE */
#define TFC_USART2_CR1_RXNEIE 5u  /* svd-v2: USART.CR1.RXNEIE */
#define TFC_USART2_ISR_ORE 3u     /* svd-v2: USART.ISR.ORE */
#define TFC_USART2_ISR_RXNE 5u    /* svd-v2: USART.ISR.RXNE */
#define TFC_USART2_ISR_TXE 7u     /* svd-v2: USART.ISR.TXE */
#define TFC_USART2_ICR_ORECF 3u   /* svd-v2: USART.ICR.ORECF */

/* General-purpose 32-bit timer (TIM2/TIM5) */
#define TFC_TIM_CR1 0x00u         /* svd-tim: TIM.CR1 */
#define TFC_TIM_EGR 0x14u         /* svd-tim: TIM.EGR */
#define TFC_TIM_CNT 0x24u         /* svd-tim: TIM.CNT */
#define TFC_TIM_PSC 0x28u         /* svd-tim: TIM.PSC */
#define TFC_TIM_ARR 0x2Cu         /* svd-tim: TIM.ARR */
#define TFC_TIM_CR1_CEN 0u        /* svd-tim: TIM.CR1.CEN */
#define TFC_TIM_EGR_UG 0u         /* svd-tim: TIM.EGR.UG */

#endif
